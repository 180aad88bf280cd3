import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

export interface PoolTotals {
  /** Jobs a worker finished (succeeded or failed). */
  processed: number;
  failed: number;
  /** Failed jobs whose last error was a backend timeout. */
  timeout: number;
  /** Submit time of the oldest job of the pool still `queued` in Postgres; null when none. */
  oldest_queued_at: Date | null;
}

@Injectable()
export class PoolStatsRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async totals(pool: string): Promise<PoolTotals> {
    const [r]: Array<{ processed: string; failed: string; timeout: string; oldest_queued_at: Date | null }> = await this.ds.query(
      `SELECT count(*) FILTER (WHERE status IN ('succeeded', 'failed')) AS processed,
              count(*) FILTER (WHERE status = 'failed') AS failed,
              count(*) FILTER (WHERE status = 'failed' AND error->>'code' = 'backend_timeout') AS timeout,
              min(created_at) FILTER (WHERE status = 'queued') AS oldest_queued_at
         FROM jobs WHERE pool = $1`,
      [pool],
    );
    return { processed: Number(r.processed), failed: Number(r.failed), timeout: Number(r.timeout), oldest_queued_at: r.oldest_queued_at };
  }
}
