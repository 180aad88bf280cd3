import 'reflect-metadata';
import { plainToInstance, Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, validateSync } from 'class-validator';

/**
 * Environment variables, validated once at boot. This module is the only place that reads
 * `process.env`; every app composes the parts it needs and gets typed values back.
 */

export class CommonEnv {
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: 'development' | 'test' | 'production' = 'development';

  @IsIn(['debug', 'info', 'warn', 'error'])
  LOG_LEVEL: 'debug' | 'info' | 'warn' | 'error' = 'info';
}

export class KafkaEnv extends CommonEnv {
  /** Comma-separated host:port list. */
  @Matches(/^[^,\s]+:\d+(,[^,\s]+:\d+)*$/, { message: 'KAFKA_BROKERS must be host:port[,host:port]' })
  KAFKA_BROKERS = '127.0.0.1:9092';

  /** Prepended to every topic and consumer group name; lets test runs share one broker. */
  @Matches(/^[a-zA-Z0-9._-]*$/)
  KAFKA_TOPIC_PREFIX = '';

  @Type(() => Number) @IsInt() @Min(1) @Max(1000)
  KAFKA_JOB_PARTITIONS = 6;

  /** How long the group waits for a silent consumer before giving its partitions to others. */
  @Type(() => Number) @IsInt() @Min(6000) @Max(300000)
  KAFKA_SESSION_TIMEOUT_MS = 30_000;
}

export class DatabaseEnv extends KafkaEnv {
  @IsString()
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/gantry';

  @Matches(/^[a-z_][a-z0-9_]*$/, { message: 'DATABASE_SCHEMA must be a lower-case SQL identifier' })
  DATABASE_SCHEMA = 'public';

  @Type(() => Number) @IsInt() @Min(1) @Max(200)
  DATABASE_POOL_SIZE = 10;
}

export class RedisEnv extends DatabaseEnv {
  @IsString()
  REDIS_URL = 'redis://127.0.0.1:6379';

  /** Prepended to every Redis key and channel. */
  @Matches(/^[a-zA-Z0-9:._-]*$/)
  REDIS_PREFIX = 'gantry:';

  /** How long a job's hot copy stays in Redis after its last change. */
  @Type(() => Number) @IsInt() @Min(60)
  JOB_HOT_TTL_SECONDS = 3600;
}

/** Where each pool's backend lives. */
export class PoolsEnv extends RedisEnv {
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] })
  GEMMA_BACKEND_URL = 'http://127.0.0.1:8000';

  @IsOptional() @IsUrl({ require_tld: false, protocols: ['http', 'https'] })
  OCR_BACKEND_URL?: string;

  /**
   * Send each job's priority to vLLM (`priority`, lower runs earlier). Needs the server started
   * with `--scheduling-policy priority`; vLLM rejects the field otherwise.
   */
  @IsIn(['true', 'false'])
  BACKEND_SEND_PRIORITY = 'true';
}

export class GatewayEnv extends PoolsEnv {
  @Type(() => Number) @IsInt() @Min(0) @Max(65535)
  PORT = 8080;

  @IsString()
  HOST = '0.0.0.0';

  /** Largest accepted JSON body; larger ones get 413. */
  @Type(() => Number) @IsInt() @Min(1024)
  MAX_BODY_BYTES = 1_048_576;
}

export class WorkerEnv extends PoolsEnv {
  @IsIn(['gemma', 'deepseek-ocr'])
  WORKER_POOL: 'gemma' | 'deepseek-ocr' = 'gemma';

  /** In-flight slots; match the backend's capacity (vLLM --max-num-seqs). */
  @Type(() => Number) @IsInt() @Min(1) @Max(4096)
  WORKER_MAX_CONCURRENT = 16;

  /** Bounded in-memory queue per priority; the topic is paused when it is full. */
  @Type(() => Number) @IsInt() @Min(1) @Max(100000)
  WORKER_MAX_WAITING = 64;

  /** A job waiting longer than this in the worker is served before higher priorities. */
  @Type(() => Number) @IsInt() @Min(0)
  WORKER_AGING_MS = 30_000;

  @Type(() => Number) @IsInt() @Min(1) @Max(50)
  WORKER_MAX_ATTEMPTS = 5;

  @Type(() => Number) @IsInt() @Min(1)
  WORKER_RETRY_BASE_MS = 250;

  @Type(() => Number) @IsInt() @Min(1)
  WORKER_RETRY_MAX_MS = 30_000;

  /** Upper bound for one backend call. */
  @Type(() => Number) @IsInt() @Min(100)
  WORKER_REQUEST_TIMEOUT_MS = 300_000;
}

export class RecorderEnv extends RedisEnv {}

/** Extra settings of the all-in-one process (`src/main.ts`); each app still loads its own class. */
export class EmbeddedEnv extends CommonEnv {
  /** Start the vLLM simulator in-process on SIM_PORT (the laptop default when no GPU server is set). */
  @IsIn(['true', 'false'])
  SIM_ENABLED = 'true';

  @Type(() => Number) @IsInt() @Min(0) @Max(65535)
  SIM_PORT = 8000;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type EnvSource = Record<string, string | undefined>;

/**
 * Validates `source` (default: process.env) against `cls`. Unknown variables are ignored; every
 * bad variable is named in one error so a misconfigured deployment fails once, not one by one.
 */
export function loadEnv<T extends object>(cls: new () => T, source: EnvSource = process.env, overrides: Partial<T> = {}): T {
  const defaults = new cls() as Record<string, unknown>;
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(defaults)) {
    const value = source[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const instance = plainToInstance(cls, { ...defaults, ...raw, ...overrides }, { exposeDefaultValues: true });
  const errors = validateSync(instance as object, { whitelist: false, forbidUnknownValues: false });
  if (errors.length > 0) {
    throw new ConfigError(
      errors.map((e) => `${e.property}=${JSON.stringify(raw[e.property] ?? defaults[e.property])}: ${Object.values(e.constraints ?? {}).join('; ')}`),
    );
  }
  return instance;
}
