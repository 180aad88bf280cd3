import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateWebhooks1732520000000 implements MigrationInterface {
  name = 'CreateWebhooks1732520000000';

  async up(q: QueryRunner): Promise<void> {
    // Per-job webhook chosen at submit, kept on the row so the recorder can call it back.
    await q.query(`ALTER TABLE jobs ADD COLUMN webhook text, ADD COLUMN webhook_events text[]`);
    await q.query(`
      CREATE TABLE webhook_endpoints (
        id                          text PRIMARY KEY,
        client_id                   text NOT NULL,
        url                         text NOT NULL,
        description                 text,
        secret                      text NOT NULL,
        previous_secret             text,
        previous_secret_expires_at  timestamptz,
        disabled_at                 timestamptz,
        disabled_reason             text,
        created_at                  timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX webhook_endpoints_client_idx ON webhook_endpoints (client_id) WHERE disabled_at IS NULL`);
    // The signing secret of a client's per-job webhooks.
    await q.query(`
      CREATE TABLE webhook_secrets (
        client_id                   text PRIMARY KEY,
        secret                      text NOT NULL,
        previous_secret             text,
        previous_secret_expires_at  timestamptz,
        created_at                  timestamptz NOT NULL DEFAULT now()
      )`);
    // One row per attempt.
    await q.query(`
      CREATE TABLE webhook_deliveries (
        id               bigserial PRIMARY KEY,
        message_id       text NOT NULL,
        client_id        text NOT NULL,
        request_id       uuid,
        endpoint_id      text,
        url              text NOT NULL,
        event_type       text NOT NULL,
        attempt          int NOT NULL,
        outcome          text NOT NULL CHECK (outcome IN ('delivered', 'retrying', 'failed', 'endpoint_disabled', 'skipped')),
        response_status  int,
        error            text,
        duration_ms      int,
        next_attempt_at  timestamptz,
        body             text NOT NULL,
        created_at       timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX webhook_deliveries_client_idx ON webhook_deliveries (client_id, created_at DESC)`);
    await q.query(`CREATE INDEX webhook_deliveries_message_idx ON webhook_deliveries (message_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_deliveries`);
    await q.query(`DROP TABLE webhook_secrets`);
    await q.query(`DROP TABLE webhook_endpoints`);
    await q.query(`ALTER TABLE jobs DROP COLUMN webhook, DROP COLUMN webhook_events`);
  }
}
