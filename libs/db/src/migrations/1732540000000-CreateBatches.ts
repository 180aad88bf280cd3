import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * OpenAI-compatible files and batches. A file's content is stored one row per line
 * (`file_lines`): uploads are written and read back as streams, never held whole in memory.
 */
export class CreateBatches1732540000000 implements MigrationInterface {
  name = 'CreateBatches1732540000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE files (
        id          text PRIMARY KEY,
        client_id   text NOT NULL,
        purpose     text NOT NULL,
        filename    text NOT NULL,
        bytes       bigint NOT NULL,
        line_count  int NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX files_client_idx ON files (client_id, created_at DESC)`);
    await q.query(`
      CREATE TABLE file_lines (
        file_id  text NOT NULL REFERENCES files (id) ON DELETE CASCADE,
        line_no  int NOT NULL,
        content  text NOT NULL,
        PRIMARY KEY (file_id, line_no)
      )`);
    await q.query(`
      CREATE TABLE batches (
        id                 text PRIMARY KEY,
        client_id          text NOT NULL,
        endpoint           text NOT NULL,
        input_file_id      text NOT NULL,
        completion_window  text NOT NULL,
        priority           text NOT NULL CHECK (priority IN ('high', 'normal', 'low')),
        status             text NOT NULL,
        final_status       text,
        metadata           jsonb,
        errors             jsonb,
        output_file_id     text,
        error_file_id      text,
        total              int NOT NULL,
        invalid            int NOT NULL,
        completed          int NOT NULL DEFAULT 0,
        failed             int NOT NULL DEFAULT 0,
        unique_requests    int NOT NULL,
        last_leader_line   int NOT NULL DEFAULT 0,
        expanded_through   int NOT NULL DEFAULT 0,
        usage              jsonb,
        created_at         timestamptz NOT NULL DEFAULT now(),
        in_progress_at     timestamptz,
        expires_at         timestamptz NOT NULL,
        finalizing_at      timestamptz,
        completed_at       timestamptz,
        failed_at          timestamptz,
        expired_at         timestamptz,
        cancelling_at      timestamptz,
        cancelled_at       timestamptz
      )`);
    await q.query(`CREATE INDEX batches_client_idx ON batches (client_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX batches_open_idx ON batches (status) WHERE status IN ('in_progress', 'cancelling', 'finalizing')`);
    // One row per input line: a valid line points at the child job that answers it (its own, or the
    // leader's when its body duplicates an earlier line); an invalid one carries its error.
    await q.query(`
      CREATE TABLE batch_items (
        batch_id    text NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
        line_no     int NOT NULL,
        custom_id   text,
        request_id  uuid,
        leader      boolean NOT NULL DEFAULT false,
        body        jsonb,
        error       jsonb,
        PRIMARY KEY (batch_id, line_no)
      )`);
    await q.query(`CREATE INDEX batch_items_leaders_idx ON batch_items (batch_id, line_no) WHERE leader`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE batch_items`);
    await q.query(`DROP TABLE batches`);
    await q.query(`DROP TABLE file_lines`);
    await q.query(`DROP TABLE files`);
  }
}
