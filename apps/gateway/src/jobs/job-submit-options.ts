import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, IsUrl, Max, MaxLength, Min } from 'class-validator';
import { InvalidMessageError, parseMessage, WEBHOOK_EVENT_FILTERS, type JobOptions, type WebhookEventFilter } from '@gantry/contracts';
import { ApiError, ApiErrorCode } from '../errors/api-error';

// TypeScript's mixin pattern requires exactly this constructor shape (`any[]` arguments).
type Constructor = new (...args: any[]) => object;

/**
 * Adds the delivery and deadline fields every submit route takes (`POST /api/chat`,
 * `POST /api/ocr`) to a body DTO, so the rules live in one place. None of them reaches the model.
 */
export function WithJobSubmitOptions<TBase extends Constructor>(Base: TBase) {
  class JobSubmitOptionsFields extends Base {
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
  return JobSubmitOptionsFields;
}

/** The options alone, for routes whose body is not a class-validated DTO (OCR's JSON and multipart). */
export class JobSubmitOptionsDto extends WithJobSubmitOptions(class {}) {}
export type JobSubmitOptions = Pick<JobSubmitOptionsDto, 'webhook' | 'webhook_events_filter' | 'ttl' | 'execution_timeout'>;
export const JOB_SUBMIT_OPTION_FIELDS = ['webhook', 'webhook_events_filter', 'ttl', 'execution_timeout'] as const;

/** Validates the option fields of `fields` (others are ignored); a bad one is `invalid_request`, as on `/api/chat`. */
export function parseJobSubmitOptions(fields: Record<string, unknown>): JobSubmitOptions {
  const picked = Object.fromEntries(JOB_SUBMIT_OPTION_FIELDS.filter((k) => fields[k] !== undefined).map((k) => [k, fields[k]]));
  try {
    return parseMessage(JobSubmitOptionsDto, picked);
  } catch (err) {
    if (err instanceof InvalidMessageError) throw new ApiError(ApiErrorCode.InvalidRequest, 'Request body is invalid', err.reasons);
    throw err;
  }
}

/** What the job message carries: the webhook and its filter, deadlines counted from `createdAt`. */
export function jobOptionsOf(body: JobSubmitOptions, createdAt: Date): JobOptions {
  return {
    ...(body.webhook ? { webhook: body.webhook, webhook_events_filter: body.webhook_events_filter ?? ['completed'] } : {}),
    ...(body.ttl ? { deadline_at: new Date(createdAt.getTime() + body.ttl * 1000).toISOString() } : {}),
    ...(body.execution_timeout ? { execution_timeout_ms: body.execution_timeout * 1000 } : {}),
  };
}
