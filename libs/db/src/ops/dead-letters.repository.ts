import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { DeadLetterRow } from './dead-letter-row';

@Injectable()
export class DeadLettersRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /**
   * Stores a batch in one statement; a record already stored (same group, topic, partition and
   * offset: a replay) is skipped. Returns how many rows were new.
   */
  async storeMany(rows: DeadLetterRow[]): Promise<number> {
    if (!rows.length) return 0;
    const inserted: unknown[] = await this.ds.query(
      `INSERT INTO dead_letters (consumer_group, source_topic, source_partition, source_offset, key, value, error, stack, at, request_id, pool)
       SELECT consumer_group, source_topic, source_partition, source_offset, key, value, error, stack, at, request_id, pool
       FROM jsonb_to_recordset($1::jsonb) AS x(consumer_group text, source_topic text, source_partition int, source_offset bigint,
                                                key text, value text, error text, stack text, at timestamptz, request_id text, pool text)
       ON CONFLICT (consumer_group, source_topic, source_partition, source_offset) DO NOTHING
       RETURNING id`,
      [JSON.stringify(rows)],
    );
    return inserted.length;
  }
}
