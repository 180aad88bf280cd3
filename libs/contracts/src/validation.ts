import 'reflect-metadata';
import { plainToInstance, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsBoolean,
  ArrayMinSize,
  Equals,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
  ValidationError,
  validateSync,
} from 'class-validator';
import { OcrRequestDto } from './ocr-validation';
import { JOB_EVENT_TYPES, JOB_KINDS, WEBHOOK_EVENT_FILTERS, type JobKind, type ChatMessage, type ChatRequest, type JobEvent, type JobEventType, type JobMessage, type JobOptions, type WebhookEventFilter } from './jobs';
import { POOLS, PRIORITIES, type PoolName, type Priority } from './topics';
import { WEBHOOK_EVENT_TYPES, type WebhookDelivery, type WebhookEventType } from './webhooks';

/**
 * class-validator shapes shared by the HTTP edge (request bodies) and every Kafka consumer
 * (messages are validated on consume; an invalid one goes to the DLQ).
 */

export class ChatMessageDto implements ChatMessage {
  @IsIn(['system', 'user', 'assistant'])
  role: 'system' | 'user' | 'assistant';

  @IsString()
  @MaxLength(200_000)
  content: string;
}

export class ChatRequestDto implements ChatRequest {
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  model: string;

  @IsArray()
  @ArrayMinSize(1, { message: 'messages must contain at least one message' })
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => ChatMessageDto)
  messages: ChatMessageDto[];

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(32768)
  max_tokens?: number;

  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(2)
  temperature?: number;
}

export class JobOptionsDto implements JobOptions {
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  webhook?: string;

  @IsOptional()
  @IsArray()
  @IsIn(WEBHOOK_EVENT_FILTERS, { each: true })
  webhook_events_filter?: WebhookEventFilter[];

  @IsOptional()
  @IsISO8601({ strict: true })
  deadline_at?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  execution_timeout_ms?: number;

  @IsOptional()
  @IsBoolean()
  reply?: boolean;
}

export class JobMessageDto implements JobMessage {
  @Equals(1)
  schema: 1;

  @IsUUID()
  request_id: string;

  @IsString()
  @MinLength(1)
  client_id: string;

  @IsIn(JOB_KINDS)
  kind: JobKind;

  @IsIn(POOLS)
  pool: PoolName;

  @IsString()
  model: string;

  @IsIn(PRIORITIES)
  priority: Priority;

  @IsISO8601({ strict: true })
  created_at: string;

  /** Validated by kind: a chat body, or an OCR claim-check. */
  @IsObject()
  @ValidateNested()
  @Type((t) => ((t?.object as { kind?: unknown } | undefined)?.kind === 'ocr' ? OcrRequestDto : ChatRequestDto))
  request: ChatRequestDto | OcrRequestDto;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => JobOptionsDto)
  options?: JobOptionsDto;

  /** Only response-cache keys: a bad message must not make the worker write elsewhere in Redis. */
  @IsOptional()
  @IsString()
  @Matches(/^cache:\{[^{}]+\}:[^{}]+:[0-9a-f]{64}$/)
  @MaxLength(512)
  cache_key?: string;
}

export class JobEventDto implements JobEvent {
  @Equals(1)
  schema: 1;

  @IsUUID()
  request_id: string;

  @IsIn(JOB_EVENT_TYPES)
  type: JobEventType;

  @IsISO8601({ strict: true })
  at: string;

  @IsString()
  client_id: string;

  @IsIn(POOLS)
  pool: PoolName;

  @IsString()
  model: string;

  @IsIn(PRIORITIES)
  priority: Priority;

  @IsIn(JOB_KINDS)
  kind: JobKind;

  @IsInt()
  @Min(0)
  attempt: number;

  @IsOptional()
  result?: unknown;

  @IsOptional()
  @IsObject()
  usage?: JobEvent['usage'];

  @IsOptional()
  @IsObject()
  error?: JobEvent['error'];

  @IsOptional()
  @IsString()
  error_stack?: string;

  @IsOptional()
  @IsString()
  backend?: string;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => JobOptionsDto)
  options?: JobOptionsDto;

  @IsOptional()
  @IsUUID()
  parent_id?: string;

  @IsOptional()
  @IsBoolean()
  from_cache?: boolean;
}

/** Flattens class-validator errors into `path: reason` strings. */
export function describeValidationErrors(errors: ValidationError[], parent = ''): string[] {
  const out: string[] = [];
  for (const e of errors) {
    const path = parent ? `${parent}.${e.property}` : e.property;
    for (const reason of Object.values(e.constraints ?? {})) out.push(`${path}: ${reason}`);
    if (e.children?.length) out.push(...describeValidationErrors(e.children, path));
  }
  return out;
}

export class InvalidMessageError extends Error {
  constructor(readonly reasons: string[]) {
    super(`invalid message: ${reasons.join('; ')}`);
    this.name = 'InvalidMessageError';
  }
}

/** Validates a decoded message against its DTO; throws InvalidMessageError with every reason. */
export function parseMessage<T extends object>(cls: new () => T, value: unknown): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidMessageError(['message is not a JSON object']);
  }
  const instance = plainToInstance(cls, value);
  const errors = validateSync(instance, { forbidUnknownValues: false });
  if (errors.length) throw new InvalidMessageError(describeValidationErrors(errors));
  return instance;
}

export class WebhookDeliveryDto implements WebhookDelivery {
  @Equals(1)
  schema: 1;

  @IsString()
  @MinLength(1)
  message_id: string;

  @IsString()
  client_id: string;

  @IsOptional()
  @IsUUID()
  request_id?: string;

  @IsOptional()
  @IsString()
  batch_id?: string;

  @IsOptional()
  @IsString()
  endpoint_id?: string;

  @IsString()
  url: string;

  @IsIn(WEBHOOK_EVENT_TYPES)
  event_type: WebhookEventType;

  @IsString()
  body: string;

  @IsInt()
  @Min(1)
  attempt: number;

  @IsOptional()
  @IsISO8601({ strict: true })
  not_before?: string;
}
