import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, IsUrl, Max, MaxLength, Min } from 'class-validator';
import { ChatRequestDto, WEBHOOK_EVENT_FILTERS, type WebhookEventFilter } from '@gantry/contracts';

/** `POST /api/chat` body: the chat request plus delivery and deadline options (not sent to vLLM). */
export class ChatSubmitDto extends ChatRequestDto {
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true }, { message: 'webhook must be an http(s) URL' })
  @MaxLength(2048)
  webhook?: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(3)
  @IsIn(WEBHOOK_EVENT_FILTERS, { each: true })
  webhook_events_filter?: WebhookEventFilter[];

  /** Seconds the job may wait in the queue; not started by then → `expired`. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(7 * 24 * 3600)
  ttl?: number;

  /** Seconds the job may run once started → `failed` with `execution_timeout`. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(24 * 3600)
  execution_timeout?: number;
}
