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

export type JobKind = 'chat';

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
  request: ChatRequest;
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
  /** Backend that ran the attempt (URL), for crash logs. */
  backend?: string;
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
  at: string;
  consumer_group: string;
}

/** A job as polling (`GET /api/jobs/{id}`) returns it; also the hot copy kept in Redis. */
export interface JobView {
  request_id: string;
  status: JobStatus;
  kind: JobKind;
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
}
