import 'reflect-metadata';
import { plainToInstance, Type } from 'class-transformer';
import {
  ArrayMaxSize,
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
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
  ValidationError,
  validateSync,
} from 'class-validator';
import { JOB_EVENT_TYPES, type ChatMessage, type ChatRequest, type JobEvent, type JobEventType, type JobMessage } from './jobs';
import { POOLS, PRIORITIES, type PoolName, type Priority } from './topics';

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

export class JobMessageDto implements JobMessage {
  @Equals(1)
  schema: 1;

  @IsUUID()
  request_id: string;

  @IsString()
  @MinLength(1)
  client_id: string;

  @IsIn(['chat'])
  kind: 'chat';

  @IsIn(POOLS)
  pool: PoolName;

  @IsString()
  model: string;

  @IsIn(PRIORITIES)
  priority: Priority;

  @IsISO8601({ strict: true })
  created_at: string;

  @IsObject()
  @ValidateNested()
  @Type(() => ChatRequestDto)
  request: ChatRequestDto;
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

  @IsIn(['chat'])
  kind: 'chat';

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
  backend?: string;
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
