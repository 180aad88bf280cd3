import { STATUS_RANK, statusOfEvent, type JobEvent, type JobMessage, type JobStatus } from '@gantry/contracts';

/** What one or more messages say about a job; merged in memory, then upserted in one statement. */
export interface JobChange {
  request_id: string;
  client_id: string;
  kind: string;
  pool: string;
  model: string;
  priority: string;
  status: JobStatus;
  status_rank: number;
  attempts: number;
  request: unknown;
  result: unknown;
  error: unknown;
  /** Stack of a failure inside the worker (crash log only; never in a job view). */
  error_stack: string | null;
  usage: unknown;
  created_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  webhook: string | null;
  webhook_events: string[] | null;
  /** Set on a batch's child job (from its job message). */
  batch_id: string | null;
  /** Set (true) by a response-cache hit's `succeeded` event; absent otherwise. */
  from_cache?: boolean;
}

export function changeFromJob(job: JobMessage): JobChange {
  return {
    request_id: job.request_id,
    client_id: job.client_id,
    kind: job.kind,
    pool: job.pool,
    model: job.model,
    priority: job.priority,
    status: 'queued',
    status_rank: STATUS_RANK.queued,
    attempts: 0,
    request: job.request,
    result: null,
    error: null,
    error_stack: null,
    usage: null,
    created_at: job.created_at,
    started_at: null,
    finished_at: null,
    webhook: job.options?.webhook ?? null,
    webhook_events: job.options?.webhook ? (job.options.webhook_events_filter ?? ['completed']) : null,
    batch_id: job.batch_id ?? null,
  };
}

/** Returns null for events that change nothing in the row (e.g. `progress`). */
export function changeFromEvent(e: JobEvent): JobChange | null {
  const status = statusOfEvent(e.type);
  if (!status || e.type === 'progress') return null;
  const terminal = STATUS_RANK[status] === 2;
  return {
    request_id: e.request_id,
    client_id: e.client_id,
    kind: e.kind,
    pool: e.pool,
    model: e.model,
    priority: e.priority,
    status,
    status_rank: STATUS_RANK[status],
    attempts: e.attempt,
    request: null,
    result: terminal ? (e.result ?? null) : null,
    error: terminal ? (e.error ?? null) : null,
    error_stack: terminal ? (e.error_stack ?? null) : null,
    usage: terminal ? (e.usage ?? null) : null,
    created_at: null,
    // A cache hit ran for no time: it starts and finishes at its one event.
    started_at: e.type === 'started' || (terminal && e.from_cache) ? e.at : null,
    finished_at: terminal ? e.at : null,
    webhook: e.options?.webhook ?? null,
    webhook_events: e.options?.webhook ? (e.options.webhook_events_filter ?? ['completed']) : null,
    batch_id: null,
    ...(terminal && e.from_cache ? { from_cache: true } : {}),
  };
}

const minIso = (a: string | null, b: string | null) => (!a ? b : !b ? a : a < b ? a : b);

/**
 * Merges `next` into `prev` with the same rules as the SQL upsert: the status never moves back,
 * the first terminal outcome wins, identity and request are kept from whoever had them first.
 */
export function mergeChange(prev: JobChange, next: JobChange): JobChange {
  const prevTerminal = prev.status_rank === 2;
  const advance = next.status_rank > prev.status_rank;
  return {
    ...prev,
    status: advance ? next.status : prev.status,
    status_rank: Math.max(prev.status_rank, next.status_rank),
    attempts: Math.max(prev.attempts, next.attempts),
    request: prev.request ?? next.request,
    result: prevTerminal ? prev.result : next.result,
    error: prevTerminal ? prev.error : next.error,
    error_stack: prevTerminal ? prev.error_stack : next.error_stack,
    usage: prevTerminal ? prev.usage : next.usage,
    created_at: prev.request ? prev.created_at : next.request ? next.created_at : minIso(prev.created_at, next.created_at),
    started_at: minIso(prev.started_at, next.started_at),
    finished_at: prevTerminal ? prev.finished_at : next.finished_at,
    webhook: prev.webhook ?? next.webhook,
    webhook_events: prev.webhook_events ?? next.webhook_events,
    batch_id: prev.batch_id ?? next.batch_id,
    ...((prevTerminal ? prev.from_cache : next.from_cache) ? { from_cache: true } : {}),
  };
}

/** Folds a batch of changes into one change per request_id, in arrival order. */
export function foldChanges(changes: Iterable<JobChange>): JobChange[] {
  const byId = new Map<string, JobChange>();
  for (const c of changes) {
    const prev = byId.get(c.request_id);
    byId.set(c.request_id, prev ? mergeChange(prev, c) : c);
  }
  return [...byId.values()];
}
