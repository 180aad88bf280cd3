import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Batches, continued: a child job knows its batch (`jobs.batch_id`), a batch may carry its own
 * webhook, `notified_at` marks that its end event was handed to the webhooks app (so a sweep that
 * replays after a crash sends it once), and deliveries can be listed per batch.
 */
export class BatchLinks1732560000000 implements MigrationInterface {
  name = 'BatchLinks1732560000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE jobs ADD COLUMN batch_id text`);
    await q.query(`CREATE INDEX jobs_batch_idx ON jobs (batch_id) WHERE batch_id IS NOT NULL`);
    await q.query(`ALTER TABLE batches ADD COLUMN webhook text, ADD COLUMN notified_at timestamptz`);
    // Batches that ended before this release are not announced now.
    await q.query(`UPDATE batches SET notified_at = now() WHERE status IN ('completed', 'failed', 'expired', 'cancelled')`);
    await q.query(`CREATE INDEX batches_unnotified_idx ON batches (created_at) WHERE notified_at IS NULL AND status IN ('completed', 'failed', 'expired', 'cancelled')`);
    await q.query(`ALTER TABLE webhook_deliveries ADD COLUMN batch_id text`);
    await q.query(`CREATE INDEX webhook_deliveries_batch_idx ON webhook_deliveries (client_id, batch_id) WHERE batch_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX webhook_deliveries_batch_idx`);
    await q.query(`ALTER TABLE webhook_deliveries DROP COLUMN batch_id`);
    await q.query(`DROP INDEX batches_unnotified_idx`);
    await q.query(`ALTER TABLE batches DROP COLUMN webhook, DROP COLUMN notified_at`);
    await q.query(`DROP INDEX jobs_batch_idx`);
    await q.query(`ALTER TABLE jobs DROP COLUMN batch_id`);
  }
}
