import { Injectable, Logger } from '@nestjs/common';
import { parseTraceparent, REQUEST_ID_HEADER, TRACEPARENT } from '@gantry/common';
import type { DeadLetter } from '@gantry/contracts';
import { deadLetterRow, DeadLettersRepository } from '@gantry/db';
import type { ConsumedMessage } from '@gantry/kafka';

/**
 * Stores dead letters for `/admin/crashes`. Idempotent: a replayed record maps to the row it
 * already has (unique on group, topic, partition, offset).
 */
@Injectable()
export class DeadLettersService {
  private readonly log = new Logger(DeadLettersService.name);

  constructor(private readonly repo: DeadLettersRepository) {}

  async record(batch: ConsumedMessage<DeadLetter>[]): Promise<void> {
    const rows = batch.map((m) => deadLetterRow(m.value));
    const stored = await this.repo.storeMany(rows);
    batch.forEach((m, i) => {
      const row = rows[i];
      this.log.warn({
        msg: 'dead letter recorded',
        request_id: m.headers[REQUEST_ID_HEADER] ?? row.request_id,
        trace_id: parseTraceparent(m.headers[TRACEPARENT])?.traceId ?? null,
        topic: row.source_topic,
        partition: row.source_partition,
        offset: row.source_offset,
        consumer_group: row.consumer_group,
        error: row.error,
      });
    });
    this.log.debug({ msg: 'dead letters stored', received: batch.length, new: stored });
  }
}
