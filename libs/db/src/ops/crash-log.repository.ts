import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

/** One entry of the crash log: a failed job or a dead letter. */
export interface CrashRecord {
  at: Date;
  source: 'job' | 'dead_letter';
  error: string;
  /** The job's error code (failed jobs only). */
  code: string | null;
  pool: string | null;
  request_id: string | null;
  /** Where a dead letter came from. */
  topic: string | null;
  partition: number | null;
  offset: string | null;
  consumer_group: string | null;
  /** Stack of an error inside the worker (failed jobs) or of the handler that threw (dead letters). */
  stack: string | null;
}

@Injectable()
export class CrashLogRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** The `limit` most recent failed jobs and dead letters together, newest first. */
  async recent(limit: number): Promise<CrashRecord[]> {
    // Each side is cut to `limit` on its own index before the merge, so the cost stays bounded.
    const rows: Array<Omit<CrashRecord, 'partition' | 'offset'> & { partition: number | null; offset: string | null }> = await this.ds.query(
      `SELECT * FROM (
         (SELECT finished_at AS at, 'job' AS source, COALESCE(error->>'message', 'failed') AS error, error->>'code' AS code,
                 pool, request_id::text AS request_id, NULL::text AS topic, NULL::int AS partition, NULL::text AS "offset", NULL::text AS consumer_group,
                 error_stack AS stack
            FROM jobs WHERE status = 'failed' AND finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT $1)
         UNION ALL
         (SELECT at, 'dead_letter', error, NULL, pool, request_id, source_topic, source_partition, source_offset::text, consumer_group, stack
            FROM dead_letters ORDER BY at DESC LIMIT $1)
       ) c ORDER BY at DESC LIMIT $1`,
      [limit],
    );
    return rows;
  }
}
