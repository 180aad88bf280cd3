import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Operator views (issue 7): dead letters stored from `gantry.dlq.v1` by the recorder (crash logs),
 * requests for models Gantry does not serve, and indexes for the per-pool queue totals and the
 * failed-jobs half of the crash log.
 */
export class CreateOperations1732500000000 implements MigrationInterface {
  name = 'CreateOperations1732500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE dead_letters (
        id               bigserial PRIMARY KEY,
        consumer_group   text NOT NULL,
        source_topic     text NOT NULL,
        source_partition int NOT NULL,
        source_offset    bigint NOT NULL,
        key              text,
        value            text NOT NULL,
        error            text NOT NULL,
        at               timestamptz NOT NULL,
        request_id       text,
        pool             text,
        recorded_at      timestamptz NOT NULL DEFAULT now(),
        -- A replayed DLQ record (recorder restart) lands on the same row.
        UNIQUE (consumer_group, source_topic, source_partition, source_offset)
      )`);
    await q.query(`CREATE INDEX dead_letters_at_idx ON dead_letters (at DESC)`);
    await q.query(`
      CREATE TABLE missing_model_requests (
        id        bigserial PRIMARY KEY,
        model     text NOT NULL,
        client_id text,
        at        timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX missing_model_requests_at_idx ON missing_model_requests (at DESC)`);
    await q.query(`CREATE INDEX jobs_failed_finished_idx ON jobs (finished_at DESC) WHERE status = 'failed'`);
    await q.query(`CREATE INDEX jobs_pool_status_idx ON jobs (pool, status)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX jobs_pool_status_idx`);
    await q.query(`DROP INDEX jobs_failed_finished_idx`);
    await q.query(`DROP TABLE missing_model_requests`);
    await q.query(`DROP TABLE dead_letters`);
  }
}
