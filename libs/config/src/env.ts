import 'reflect-metadata';
import { plainToInstance, Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength, ValidateIf, validateSync } from 'class-validator';
import { ConfigError } from './config-error';
import { envFromFileConfig, loadFileConfig } from './file-config';

/**
 * Environment variables, validated once at boot. This module is the only place that reads
 * `process.env`; every app composes the parts it needs and gets typed values back.
 */

export class CommonEnv {
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: 'development' | 'test' | 'production' = 'development';

  @IsIn(['debug', 'info', 'warn', 'error'])
  LOG_LEVEL: 'debug' | 'info' | 'warn' | 'error' = 'info';

  /** The operator file (`config/config.yaml`, the reference's shape); missing = built-in defaults. */
  @IsString()
  GANTRY_CONFIG = 'config/config.yaml';
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

  /** Response cache of deterministic (temperature 0) chat answers; the gateway looks up, the worker stores. */
  @IsIn(['true', 'false'])
  CACHE_ENABLED = 'true';

  /** How long a cached answer is kept (the reference's REDIS_CACHE_TTL: 24 h). */
  @Type(() => Number) @IsInt() @Min(1)
  CACHE_TTL_SECONDS = 86_400;
}

/** Where each pool's backend lives. */
/** Webhook policy shared by the gateway (checks at registration) and the webhooks app (at send). */
export class WebhookPolicyEnv extends RedisEnv {
  /**
   * Hosts, addresses or CIDRs that webhook URLs may use although they are not public
   * (loopback, private, link-local). Empty in production; e.g. `127.0.0.1,localhost` to develop.
   */
  @Matches(/^[^\s]*$/)
  WEBHOOK_ALLOWED_HOSTS = '';

  /** How long a rotated secret keeps signing (second signature) so receivers can switch. */
  @Type(() => Number) @IsInt() @Min(0)
  WEBHOOK_SECRET_GRACE_SECONDS = 86_400;
}

export class PoolsEnv extends WebhookPolicyEnv {
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

  /**
   * Engine of the `deepseek-ocr` pool: `vllm` (DeepSeek-OCR at OCR_BACKEND_URL, or the simulator)
   * or `tesseract` (CPU, in the worker). Default: `vllm` when OCR_BACKEND_URL is set, else `tesseract`.
   */
  @IsOptional() @IsIn(['vllm', 'tesseract'])
  OCR_BACKEND?: 'vllm' | 'tesseract';

  /** OCR resolution for jobs without `X-Resolution` until an admin sets the pool's default. */
  @IsIn(['tiny', 'small', 'base', 'large', 'gundam'])
  OCR_DEFAULT_RESOLUTION: 'tiny' | 'small' | 'base' | 'large' | 'gundam' = 'large';
}

/** The OCR engine a deployment uses (OCR_BACKEND, or its default). */
export function ocrBackendOf(env: PoolsEnv): 'vllm' | 'tesseract' {
  return env.OCR_BACKEND ?? (env.OCR_BACKEND_URL ? 'vllm' : 'tesseract');
}

export class GatewayEnv extends PoolsEnv {
  @Type(() => Number) @IsInt() @Min(0) @Max(65535)
  PORT = 8080;

  @IsString()
  HOST = '0.0.0.0';

  /** Largest accepted JSON body; larger ones get 413. */
  @Type(() => Number) @IsInt() @Min(1024)
  MAX_BODY_BYTES = 1_048_576;

  /**
   * How long `POST /v1/chat/completions` waits for its job before answering 504 `sync_timeout`
   * (the job goes on; its `x-request-id` can be polled). OpenAI's SDKs wait 10 minutes.
   */
  @Type(() => Number) @IsInt() @Min(1) @Max(3600)
  SYNC_TIMEOUT_SECONDS = 600;

  /**
   * Secret (HS256) that signs access tokens. Required outside development/test, at least 32
   * bytes (`openssl rand -hex 32`); in development a random one is made per process. Secret.
   */
  @ValidateIf((o: GatewayEnv) => o.NODE_ENV === 'production' || o.GANTRY_JWT_SECRET !== undefined)
  @IsString()
  @MinLength(32, { message: 'GANTRY_JWT_SECRET is required outside development and must be at least 32 characters' })
  GANTRY_JWT_SECRET?: string;

  /** The secret being rotated out: tokens it signed stay valid until they expire. Secret. */
  @IsOptional() @IsString() @MinLength(32, { message: 'GANTRY_JWT_PREVIOUS_SECRET must be at least 32 characters' })
  GANTRY_JWT_PREVIOUS_SECRET?: string;

  /** Lifetime of an access token. */
  @Type(() => Number) @IsInt() @Min(30) @Max(86_400)
  ACCESS_TOKEN_TTL_SECONDS = 900;

  /** Lifetime of a refresh token (each use rotates it). */
  @Type(() => Number) @IsInt() @Min(300)
  REFRESH_TOKEN_TTL_SECONDS = 1_209_600;

  /** First admin, created when no user exists yet. */
  @IsOptional() @Matches(/^[A-Za-z0-9._@-]{1,128}$/, { message: 'GANTRY_ADMIN_USER must be 1-128 of A-Za-z0-9._@-' })
  GANTRY_ADMIN_USER?: string;

  /** Password of the first admin (12+ characters). Secret. */
  @IsOptional() @IsString() @MinLength(12, { message: 'GANTRY_ADMIN_PASSWORD must be at least 12 characters' })
  GANTRY_ADMIN_PASSWORD?: string;

  /** Default submit rate per credential (API keys may set their own): a token bucket. */
  @Type(() => Number) @IsInt() @Min(1)
  RATE_LIMIT_REQUESTS_PER_MINUTE = 60;

  /** Bucket size: how many submits may arrive at once. */
  @Type(() => Number) @IsInt() @Min(1)
  RATE_LIMIT_BURST = 10;

  /** Default tokens per minute per credential (`max_tokens` plus the prompt's estimate). */
  @Type(() => Number) @IsInt() @Min(1)
  RATE_LIMIT_TOKENS_PER_MINUTE = 100_000;

  /** Default cap on a client's unfinished jobs; 0 means none. */
  @Type(() => Number) @IsInt() @Min(0)
  RATE_LIMIT_MAX_CONCURRENT_JOBS = 100;

  /** Login and refresh attempts per minute per source address (password guessing). */
  @Type(() => Number) @IsInt() @Min(1)
  AUTH_RATE_LIMIT_PER_MINUTE = 20;

  @Type(() => Number) @IsInt() @Min(1)
  AUTH_RATE_LIMIT_BURST = 10;

  /**
   * Backlog limit per pool (`pool=N,...`): Kafka lag of the pool's worker group summed over its
   * priority topics. New low jobs are refused from 50% of it, normal from 75%, high from 100%.
   */
  @Matches(/^[a-z0-9-]+=\d+(,[a-z0-9-]+=\d+)*$/, { message: 'ADMISSION_MAX_BACKLOG must be pool=N[,pool=N]' })
  ADMISSION_MAX_BACKLOG = 'gemma=10000,deepseek-ocr=2000';

  /** How long a measured backlog is reused before Kafka is asked again. */
  @Type(() => Number) @IsInt() @Min(0) @Max(60_000)
  ADMISSION_CACHE_MS = 1000;

  /** Largest body of an upload route (`POST /api/ocr`), JSON or multipart; larger ones get 413. */
  @Type(() => Number) @IsInt() @Min(1024)
  MAX_UPLOAD_BYTES = 20_971_520;

  /** Largest image or PDF file accepted (decoded bytes); larger ones get 413 `image_too_large`. */
  @Type(() => Number) @IsInt() @Min(1024)
  OCR_MAX_FILE_BYTES = 14_680_064;

  /** Largest image in pixels (width × height), checked from the header before decoding. */
  @Type(() => Number) @IsInt() @Min(1) @Max(268_402_689)
  OCR_MAX_PIXELS = 40_000_000;

  /** Most pages a PDF may have; each page becomes one OCR job. */
  @Type(() => Number) @IsInt() @Min(1) @Max(2000)
  OCR_MAX_PDF_PAGES = 200;

  /** Most requests (lines) in one batch input file (OpenAI's limit). */
  @Type(() => Number) @IsInt() @Min(1)
  BATCH_MAX_REQUESTS = 50_000;

  /** Largest batch input file in bytes (OpenAI's limit, 200 MB). */
  @Type(() => Number) @IsInt() @Min(1024)
  BATCH_MAX_FILE_BYTES = 209_715_200;

  /** Largest single line of a batch input file; a longer line rejects the upload. */
  @Type(() => Number) @IsInt() @Min(1024)
  BATCH_MAX_LINE_BYTES = 1_048_576;
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

  /** Port of the worker's own `/health`, `/health/ready` and `/metrics` server; 0 turns it off. */
  @Type(() => Number) @IsInt() @Min(0) @Max(65535)
  HEALTH_PORT = 9464;

  /** Address the health server listens on. */
  @IsString()
  HEALTH_HOST = '0.0.0.0';

  /** Tesseract engines (worker threads) of an OCR worker on the `tesseract` backend. */
  @Type(() => Number) @IsInt() @Min(1) @Max(32)
  OCR_TESSERACT_WORKERS = 2;

  /** Resolution PDF pages are rendered at before OCR (the longest side is capped at 4000 px). */
  @Type(() => Number) @IsInt() @Min(50) @Max(600)
  OCR_PDF_DPI = 150;
}

export class WebhooksEnv extends WebhookPolicyEnv {
  /** Deliveries in flight at once. */
  @Type(() => Number) @IsInt() @Min(1) @Max(1000)
  WEBHOOK_CONCURRENCY = 32;

  /** One delivery attempt's limit. */
  @Type(() => Number) @IsInt() @Min(100) @Max(60_000)
  WEBHOOK_TIMEOUT_MS = 15_000;

  /** Port of the webhooks app's own `/health`, `/health/ready` and `/metrics` server; 0 turns it off. */
  @Type(() => Number) @IsInt() @Min(0) @Max(65535)
  HEALTH_PORT = 9466;

  /** Address the health server listens on. */
  @IsString()
  HEALTH_HOST = '0.0.0.0';
}

export class RecorderEnv extends RedisEnv {
  /** Port of the recorder's own `/health`, `/health/ready` and `/metrics` server; 0 turns it off. */
  @Type(() => Number) @IsInt() @Min(0) @Max(65535)
  HEALTH_PORT = 9465;

  /** Address the health server listens on. */
  @IsString()
  HEALTH_HOST = '0.0.0.0';

  /** Images and PDFs of finished jobs are deleted this long after the job finished. */
  @Type(() => Number) @IsInt() @Min(0)
  BLOB_RETENTION_SECONDS = 86_400;

  /** How often the recorder deletes expired blobs; 0 turns the sweep off. */
  @Type(() => Number) @IsInt() @Min(0)
  BLOB_SWEEP_INTERVAL_MS = 60_000;

  /** Child jobs the batch expander publishes per chunk (one checkpoint per chunk). */
  @Type(() => Number) @IsInt() @Min(1) @Max(10_000)
  BATCH_EXPAND_CHUNK = 500;

  /** Most child jobs per second the expander publishes, so a batch does not flood the pools. */
  @Type(() => Number) @IsInt() @Min(1)
  BATCH_EXPAND_RATE = 2_000;

  /** How often batch counters are refreshed from child jobs and finished batches assembled; 0 = off. */
  @Type(() => Number) @IsInt() @Min(0)
  BATCH_SWEEP_INTERVAL_MS = 1_000;
}

/** Extra settings of the all-in-one process (`src/main.ts`); each app still loads its own class. */
export class EmbeddedEnv extends CommonEnv {
  /** Start the vLLM simulator in-process on SIM_PORT (the laptop default when no GPU server is set). */
  @IsIn(['true', 'false'])
  SIM_ENABLED = 'true';

  @Type(() => Number) @IsInt() @Min(0) @Max(65535)
  SIM_PORT = 8000;
}

export { ConfigError };

type EnvSource = Record<string, string | undefined>;

/** Variables whose values never appear in an error message (or anywhere else). */
const SECRET_VARIABLES = new Set(['GANTRY_JWT_SECRET', 'GANTRY_JWT_PREVIOUS_SECRET', 'GANTRY_ADMIN_PASSWORD']);

function shown(name: string, value: unknown): string {
  return SECRET_VARIABLES.has(name) && value !== undefined ? '"<redacted>"' : JSON.stringify(value);
}

/**
 * Validates `source` (default: process.env) against `cls`. Unknown variables are ignored; every
 * bad variable is named in one error so a misconfigured deployment fails once, not one by one.
 */
export function loadEnv<T extends object>(cls: new () => T, source: EnvSource = process.env, overrides: Partial<T> = {}): T {
  const defaults = new cls() as Record<string, unknown>;
  // Settings of config/config.yaml come in under the variables that exist for them; the environment wins.
  const configPath = (overrides as Record<string, unknown>).GANTRY_CONFIG ?? (source.GANTRY_CONFIG || defaults.GANTRY_CONFIG);
  const fromFile = typeof configPath === 'string' ? envFromFileConfig(loadFileConfig(configPath)) : {};
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(defaults)) {
    const value = source[key] !== undefined && source[key] !== '' ? source[key] : fromFile[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const instance = plainToInstance(cls, { ...defaults, ...raw, ...overrides }, { exposeDefaultValues: true });
  const errors = validateSync(instance as object, { whitelist: false, forbidUnknownValues: false });
  if (errors.length > 0) {
    throw new ConfigError(
      errors.map((e) => `${e.property}=${shown(e.property, raw[e.property] ?? defaults[e.property])}: ${Object.values(e.constraints ?? {}).join('; ')}`),
    );
  }
  return instance;
}
