import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { JobView } from '@gantry/contracts';
import { JobEntity } from './job.entity';
import type { JobChange } from './job-change';

interface JobRow {
  request_id: string;
  client_id: string;
  kind: JobView['kind'];
  pool: JobView['pool'];
  model: string;
  priority: JobView['priority'];
  status: JobView['status'];
  status_rank: number;
  attempts: number;
  result: unknown;
  error: JobView['error'];
  usage: JobView['usage'];
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  webhook: string | null;
  webhook_events: JobView['webhook_events_filter'];
  batch_id: string | null;
  from_cache: boolean;
}

const ms = (from: Date | null, to: Date | null) => (from && to ? to.getTime() - from.getTime() : null);

export function toJobView(r: JobRow): JobView {
  return {
    request_id: r.request_id,
    status: r.status,
    kind: r.kind,
    pool: r.pool,
    model: r.model,
    priority: r.priority,
    client_id: r.client_id,
    attempts: r.attempts,
    created_at: r.created_at.toISOString(),
    started_at: r.started_at?.toISOString() ?? null,
    finished_at: r.finished_at?.toISOString() ?? null,
    result: r.result ?? null,
    usage: r.usage ?? null,
    error: r.error ?? null,
    timings: {
      queue_ms: ms(r.created_at, r.started_at),
      run_ms: ms(r.started_at, r.finished_at),
      total_ms: ms(r.created_at, r.finished_at),
    },
    ...(r.webhook ? { webhook: r.webhook, webhook_events_filter: r.webhook_events } : {}),
    ...(r.batch_id ? { batch_id: r.batch_id } : {}),
    ...(r.from_cache ? { from_cache: true } : {}),
  };
}

const VIEW_COLUMNS = 'request_id, client_id, kind, pool, model, priority, status, status_rank, attempts, result, error, usage, created_at, started_at, finished_at, webhook, webhook_events, batch_id, from_cache';

/**
 * Multi-row upsert with forward-only precedence (DESIGN.md §3): the status never moves back, the
 * first terminal outcome is kept, so replays and out-of-order events are harmless. All rows travel
 * as one jsonb parameter, so a batch of any size is one statement.
 */
const UPSERT_SQL = `
  INSERT INTO jobs AS j (request_id, client_id, kind, pool, model, priority, status, status_rank, attempts,
                         request, result, error, error_stack, usage, created_at, started_at, finished_at, updated_at, webhook, webhook_events, batch_id, from_cache)
  SELECT request_id, client_id, kind, pool, model, priority, status, status_rank, attempts,
         request, result, error, error_stack, usage, COALESCE(created_at, started_at, finished_at, now()), started_at, finished_at, now(),
         webhook, webhook_events, batch_id, COALESCE(from_cache, false)
  FROM jsonb_to_recordset($1::jsonb) AS x(
    request_id uuid, client_id text, kind text, pool text, model text, priority text, status text,
    status_rank smallint, attempts int, request jsonb, result jsonb, error jsonb, error_stack text, usage jsonb,
    created_at timestamptz, started_at timestamptz, finished_at timestamptz, webhook text, webhook_events text[], batch_id text, from_cache boolean)
  ON CONFLICT (request_id) DO UPDATE SET
    status      = CASE WHEN EXCLUDED.status_rank > j.status_rank THEN EXCLUDED.status ELSE j.status END,
    status_rank = GREATEST(j.status_rank, EXCLUDED.status_rank),
    attempts    = GREATEST(j.attempts, EXCLUDED.attempts),
    request     = COALESCE(j.request, EXCLUDED.request),
    webhook     = COALESCE(j.webhook, EXCLUDED.webhook),
    webhook_events = COALESCE(j.webhook_events, EXCLUDED.webhook_events),
    batch_id    = COALESCE(j.batch_id, EXCLUDED.batch_id),
    result      = CASE WHEN j.status_rank = 2 THEN j.result ELSE EXCLUDED.result END,
    error       = CASE WHEN j.status_rank = 2 THEN j.error ELSE EXCLUDED.error END,
    error_stack = CASE WHEN j.status_rank = 2 THEN j.error_stack ELSE EXCLUDED.error_stack END,
    usage       = CASE WHEN j.status_rank = 2 THEN j.usage ELSE EXCLUDED.usage END,
    finished_at = CASE WHEN j.status_rank = 2 THEN j.finished_at ELSE EXCLUDED.finished_at END,
    from_cache  = CASE WHEN j.status_rank = 2 THEN j.from_cache ELSE EXCLUDED.from_cache END,
    -- The submit message carries the true submit time; before it is seen, events give a bound.
    created_at  = CASE WHEN j.request IS NOT NULL THEN j.created_at
                       WHEN EXCLUDED.request IS NOT NULL THEN EXCLUDED.created_at
                       ELSE LEAST(j.created_at, EXCLUDED.created_at) END,
    started_at  = LEAST(j.started_at, EXCLUDED.started_at),
    updated_at  = now()
  RETURNING ${VIEW_COLUMNS}`;

@Injectable()
export class JobsRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Applies folded changes (one per request_id) and returns the resulting rows as views. */
  async applyChanges(changes: JobChange[]): Promise<JobView[]> {
    if (!changes.length) return [];
    const rows: JobRow[] = await this.ds.query(UPSERT_SQL, [JSON.stringify(changes)]);
    return rows.map(toJobView);
  }

  async findView(requestId: string): Promise<JobView | null> {
    const rows: JobRow[] = await this.ds.query(`SELECT ${VIEW_COLUMNS} FROM jobs WHERE request_id = $1`, [requestId]);
    return rows.length ? toJobView(rows[0]) : null;
  }

  async countByStatus(): Promise<Record<string, number>> {
    const rows: Array<{ status: string; n: string }> = await this.ds.query('SELECT status, count(*) AS n FROM jobs GROUP BY status');
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  /** How many of the client's recorded jobs are not finished (the concurrency limit's fallback count). */
  async countUnfinishedOfClient(clientId: string): Promise<number> {
    const rows: Array<{ n: string }> = await this.ds.query('SELECT count(*) AS n FROM jobs WHERE status_rank < 2 AND client_id = $1', [clientId]);
    return Number(rows[0].n);
  }
}

export { JobEntity };
