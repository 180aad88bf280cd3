import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateJobs1732400000000 implements MigrationInterface {
  name = 'CreateJobs1732400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE jobs (
        request_id  uuid PRIMARY KEY,
        client_id   text NOT NULL,
        kind        text NOT NULL,
        pool        text NOT NULL,
        model       text NOT NULL,
        priority    text NOT NULL CHECK (priority IN ('high', 'normal', 'low')),
        status      text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'expired')),
        status_rank smallint NOT NULL,
        attempts    int NOT NULL DEFAULT 0,
        request     jsonb,
        result      jsonb,
        error       jsonb,
        usage       jsonb,
        created_at  timestamptz NOT NULL,
        started_at  timestamptz,
        finished_at timestamptz,
        updated_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX jobs_client_created_idx ON jobs (client_id, created_at DESC)`);
    await q.query(`CREATE INDEX jobs_status_idx ON jobs (status) WHERE status_rank < 2`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE jobs`);
  }
}
