import type { Redis } from 'ioredis';
import type { Priority } from '@gantry/contracts';

/** What one worker replica reports about its scheduler (published every few seconds). */
export interface WorkerReport {
  id: string;
  pool: string;
  in_flight: number;
  in_flight_by_priority: Record<Priority, number>;
  max_concurrent: number;
  /** Bound of each priority's in-memory queue. */
  max_waiting: number;
  /** Jobs fetched from Kafka and waiting in the worker's memory for a slot. */
  waiting: Record<Priority, number>;
  dispatching: boolean;
  /** ms since epoch when this replica started (the pool's uptime in `/admin/models`). */
  started_at?: number;
  /** ms since epoch when the report was written. */
  at: number;
  /** How the pool's model server runs: `external` (someone else) or `process` (this worker). */
  driver?: 'external' | 'process';
  /** The model server this worker runs (`process` driver); null otherwise. */
  server?: {
    status: string;
    pid: number | null;
    restarts: number;
    last_exit: { code: number | null; signal: string | null; at: string } | null;
    log_file: string;
    args: string[];
  } | null;
}

/**
 * Live workers per pool, for the admin API: each worker writes its report into the hash
 * `workers:<pool>` every HEARTBEAT_MS; a report older than REPORT_TTL_MS is a dead worker and is
 * ignored (and removed by the next reader). The hash itself expires when no worker writes.
 */
export class WorkerRegistry {
  static readonly HEARTBEAT_MS = 2_000;
  static readonly REPORT_TTL_MS = 6_000;

  constructor(private readonly redis: Redis) {}

  static key(pool: string): string {
    return `workers:${pool}`;
  }

  async report(report: WorkerReport): Promise<void> {
    const key = WorkerRegistry.key(report.pool);
    await this.redis.multi().hset(key, report.id, JSON.stringify(report)).pexpire(key, WorkerRegistry.REPORT_TTL_MS * 2).exec();
  }

  async remove(pool: string, id: string): Promise<void> {
    await this.redis.hdel(WorkerRegistry.key(pool), id);
  }

  /** Reports of the pool's live workers. */
  async live(pool: string, now = Date.now()): Promise<WorkerReport[]> {
    const key = WorkerRegistry.key(pool);
    const all = await this.redis.hgetall(key);
    const live: WorkerReport[] = [];
    const stale: string[] = [];
    for (const [id, raw] of Object.entries(all)) {
      let r: WorkerReport | null = null;
      try {
        r = JSON.parse(raw) as WorkerReport;
      } catch {
        r = null;
      }
      if (r && now - r.at <= WorkerRegistry.REPORT_TTL_MS) live.push(r);
      else stale.push(id);
    }
    if (stale.length) await this.redis.hdel(key, ...stale);
    return live;
  }
}
