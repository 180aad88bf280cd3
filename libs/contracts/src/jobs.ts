import type { OcrDocumentProgress, OcrRequest } from './ocr';
import type { PoolName, Priority } from './topics';

/** Job states; they only move forward (DESIGN.md §3). */
export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'expired'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'cancelled', 'expired']);

/** Precedence used by every writer: a state is applied only if its rank is higher. */
export const STATUS_RANK: Record<JobStatus, number> = {
  queued: 0,
  running: 1,
  succeeded: 2,
  failed: 2,
  cancelled: 2,
  expired: 2,
};

export const JOB_KINDS = ['chat', 'ocr'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  max_tokens?: number;
  temperature?: number;
}

/** OpenAI `chat.completion` usage block. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export const WEBHOOK_EVENT_FILTERS = ['started', 'progress', 'completed'] as const;
export type WebhookEventFilter = (typeof WEBHOOK_EVENT_FILTERS)[number];

/** Per-job delivery and deadline options chosen at submit. */
export interface JobOptions {
  /** URL called back with the job (Standard Webhooks signature). */
  webhook?: string;
  /** Which events call the webhook; default `['completed']`. */
  webhook_events_filter?: WebhookEventFilter[];
  /** Queue deadline: not started by then → `expired`, never run. */
  deadline_at?: string;
  /** Limit for running the job once started → `failed` with `execution_timeout`. */
  execution_timeout_ms?: number;
  /**
   * A caller waits on the gateway for this job (`POST /v1/chat/completions`): the worker also
   * publishes the outcome on the job's reply channel once Kafka has acknowledged it, so the answer
   * does not wait for the recorder.
   */
  reply?: boolean;
}

/** Message on `gantry.jobs.<pool>.<priority>.v1`: one job to run. Small: ids and the chat body. */
export interface JobMessage {
  schema: 1;
  request_id: string;
  client_id: string;
  kind: JobKind;
  pool: PoolName;
  /** Model name the backend serves (the client's alias resolved). */
  model: string;
  priority: Priority;
  created_at: string;
  /** `ChatRequest` for kind `chat`, `OcrRequest` (a claim-check, no image bytes) for kind `ocr`. */
  request: JobRequest;
  options?: JobOptions;
  /** Set on a child job of a bulk batch (`gantry.batches.v1`). */
  batch_id?: string;
  /**
   * Response cache entry (Redis key, without the prefix) the worker stores the answer under when
   * the job succeeds. Set by the gateway on cacheable chat jobs only (README "Response cache").
   */
  cache_key?: string;
}

export type JobRequest = ChatRequest | OcrRequest;
export type ChatJobMessage = JobMessage & { kind: 'chat'; request: ChatRequest };
export type OcrJobMessage = JobMessage & { kind: 'ocr'; request: OcrRequest };

export function isOcrJob(job: JobMessage): job is OcrJobMessage {
  return job.kind === 'ocr';
}

export function isChatJob(job: JobMessage): job is ChatJobMessage {
  return job.kind === 'chat';
}

export const JOB_EVENT_TYPES = ['accepted', 'started', 'progress', 'succeeded', 'failed', 'cancelled', 'expired', 'retrying'] as const;
export type JobEventType = (typeof JOB_EVENT_TYPES)[number];

export interface JobError {
  code: string;
  message: string;
  /** Upstream HTTP status when the backend answered. */
  status?: number;
}

/**
 * Message on `gantry.job-events.v1`. Carries the job's identity so the recorder can materialise a
 * row from any event, whatever order events and the job message arrive in.
 */
export interface JobEvent {
  schema: 1;
  request_id: string;
  type: JobEventType;
  at: string;
  client_id: string;
  pool: PoolName;
  model: string;
  priority: Priority;
  kind: JobKind;
  attempt: number;
  result?: unknown;
  usage?: Usage;
  error?: JobError;
  /**
   * A `failed` event whose cause was an error inside the worker (the job's blob, image or PDF, an
   * in-process engine), not an answer of the model server: its stack, for `/admin/crashes` only.
   * Never shown to clients. Optional: events without it parse as before.
   */
  error_stack?: string;
  /** Backend that ran the attempt (URL), for crash logs. */
  backend?: string;
  /** Events of one page of a PDF: its parent document job (the recorder finishes the parent). */
  parent_id?: string;
  /** The job's options, so its webhook is known whichever message the recorder sees first. */
  options?: JobOptions;
  /** A `succeeded` event the gateway published for a response-cache hit: nothing ran. */
  from_cache?: boolean;
}

/** What the event type moves the job to, if anything. */
export function statusOfEvent(type: JobEventType): JobStatus | null {
  switch (type) {
    case 'accepted':
      return 'queued';
    case 'started':
    case 'progress':
    case 'retrying':
      return 'running';
    case 'succeeded':
    case 'failed':
    case 'cancelled':
    case 'expired':
      return type;
  }
}

/** Record on `gantry.dlq.v1`. */
export interface DeadLetter {
  schema: 1;
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  /** The original value, as text (it may not be JSON). */
  value: string;
  error: string;
  /** The handler's error stack when it threw (absent for undecodable or invalid messages, and in older records). */
  stack?: string;
  at: string;
  consumer_group: string;
}

/** A job as polling (`GET /api/jobs/{id}`) returns it; also the hot copy kept in Redis. */
export interface JobView {
  request_id: string;
  status: JobStatus;
  kind: JobKind;
  pool: PoolName;
  model: string;
  priority: Priority;
  client_id: string;
  attempts: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** OpenAI `chat.completion` for chat jobs. */
  result: unknown;
  usage: Usage | null;
  error: JobError | null;
  timings: { queue_ms: number | null; run_ms: number | null; total_ms: number | null };
  /** Per-job webhook and the events that call it, when one was given at submit. */
  webhook?: string;
  webhook_events_filter?: WebhookEventFilter[];
  /** PDF parent jobs only: how far its page jobs are. */
  progress?: OcrDocumentProgress;
  /** A bulk batch's child job: the batch it answers a line of. */
  batch_id?: string;
  /** Present (true) when the answer came from the response cache: no backend call was made. */
  from_cache?: boolean;
}

/** The view of a job that was just accepted: what polling shows before any worker event. */
export function queuedJobView(job: Pick<JobMessage, 'request_id' | 'kind' | 'pool' | 'model' | 'priority' | 'client_id' | 'created_at'>): JobView {
  return {
    request_id: job.request_id,
    status: 'queued',
    kind: job.kind,
    pool: job.pool,
    model: job.model,
    priority: job.priority,
    client_id: job.client_id,
    attempts: 0,
    created_at: job.created_at,
    started_at: null,
    finished_at: null,
    result: null,
    usage: null,
    error: null,
    timings: { queue_ms: null, run_ms: null, total_ms: null },
  };
}

/**
 * A lifecycle event for a job, carrying its identity (and options, so the recorder knows the
 * job's webhook whichever message it sees first). Built from the job message in the worker, or
 * from the job's view where only that is at hand (the gateway cancelling a queued job).
 */
export function lifecycleEvent(
  job: Pick<JobMessage, 'request_id' | 'client_id' | 'pool' | 'model' | 'priority' | 'kind' | 'options'>,
  type: JobEventType,
  attempt: number,
  extra: Partial<JobEvent> = {},
): JobEvent {
  return {
    schema: 1,
    request_id: job.request_id,
    type,
    at: new Date().toISOString(),
    client_id: job.client_id,
    pool: job.pool,
    model: job.model,
    priority: job.priority,
    kind: job.kind,
    attempt,
    ...(job.options ? { options: job.options } : {}),
    ...extra,
  };
}
