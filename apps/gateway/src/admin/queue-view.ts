import { PRIORITIES, Topics, type PoolName, type Priority } from '@gantry/contracts';
import type { PoolTotals } from '@gantry/db';
import type { PartitionLag } from '@gantry/kafka';
import type { WorkerReport } from '@gantry/redis';
import { adminNameOf, type AdminPoolName } from './pool-names';

/** `GET /admin/queue/{model}`: the reference's fields (reference/002) plus Gantry's own. */
export interface QueueView {
  /** The reference's name of the pool (`gemma`, `deepseek`). */
  model: AdminPoolName;
  /** Gantry's pool (`gemma`, `deepseek-ocr`). */
  pool: PoolName;
  /** Jobs running on the pool's live workers. */
  processing: number;
  /** Jobs accepted and not started: `backlog` minus `processing`. */
  waiting: number;
  waiting_by_priority: Record<Priority, number>;
  /** Kafka backlog of the pool's worker group: messages not committed yet (waiting + running). */
  backlog: number;
  /** Age of the oldest job of the pool still `queued` in Postgres; null when nothing waits. */
  oldest_waiting_age_seconds: number | null;
  /** Slots of the live workers together. */
  max_concurrent: number;
  /** Backlog at which the gateway refuses new jobs of every priority (ADMISSION_MAX_BACKLOG); null = no limit. */
  max_waiting: number | null;
  /** Live worker replicas (heartbeat younger than 6 s). */
  workers: number;
  total_processed: number;
  total_failed: number;
  total_timeout: number;
  /** processing / max_concurrent (0 when no worker runs). */
  utilization: number;
}

const zero = () => Object.fromEntries(PRIORITIES.map((p) => [p, 0])) as Record<Priority, number>;

/**
 * Puts the pool's numbers together. Kafka lag counts every uncommitted message, running ones
 * included (a job's offset is committed when it finishes), so the jobs the workers report as
 * running are taken out of it, per priority, to give what actually waits.
 */
export function queueView(input: {
  pool: PoolName;
  lag: PartitionLag[];
  workers: WorkerReport[];
  totals: PoolTotals;
  maxWaiting: number | null;
  now: number;
}): QueueView {
  const { pool, lag, workers, totals } = input;
  const priorityOf = new Map<string, Priority>(PRIORITIES.map((p) => [Topics.jobs(pool, p), p]));
  const backlogBy = zero();
  for (const p of lag) {
    const priority = priorityOf.get(p.topic);
    if (priority) backlogBy[priority] += p.lag;
  }
  const runningBy = zero();
  let processing = 0;
  let maxConcurrent = 0;
  for (const w of workers) {
    processing += w.in_flight;
    maxConcurrent += w.max_concurrent;
    for (const p of PRIORITIES) runningBy[p] += w.in_flight_by_priority?.[p] ?? 0;
  }
  const waitingBy = zero();
  for (const p of PRIORITIES) waitingBy[p] = Math.max(0, backlogBy[p] - runningBy[p]);
  const waiting = PRIORITIES.reduce((n, p) => n + waitingBy[p], 0);
  const backlog = PRIORITIES.reduce((n, p) => n + backlogBy[p], 0);
  const oldest = totals.oldest_queued_at;
  return {
    model: adminNameOf(pool),
    pool,
    processing,
    waiting,
    waiting_by_priority: waitingBy,
    backlog,
    oldest_waiting_age_seconds: waiting > 0 && oldest ? Math.max(0, Math.round((input.now - oldest.getTime()) / 100) / 10) : null,
    max_concurrent: maxConcurrent,
    max_waiting: input.maxWaiting,
    workers: workers.length,
    total_processed: totals.processed,
    total_failed: totals.failed,
    total_timeout: totals.timeout,
    utilization: maxConcurrent > 0 ? Math.round((processing / maxConcurrent) * 1000) / 1000 : 0,
  };
}
