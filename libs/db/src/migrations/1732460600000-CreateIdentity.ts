import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Users, clients (tenants), API keys and refresh tokens (issue 6). */
export class CreateIdentity1732460600000 implements MigrationInterface {
  name = 'CreateIdentity1732460600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE clients (
        id         text PRIMARY KEY,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE users (
        id            uuid PRIMARY KEY,
        username      text NOT NULL,
        password_hash text NOT NULL,
        role          text NOT NULL CHECK (role IN ('admin', 'client')),
        client_id     text REFERENCES clients (id),
        created_at    timestamptz NOT NULL DEFAULT now(),
        disabled_at   timestamptz,
        CHECK (role = 'admin' OR client_id IS NOT NULL)
      )`);
    // Usernames are unique whatever their case, so "Admin" cannot shadow "admin".
    await q.query(`CREATE UNIQUE INDEX users_username_idx ON users (lower(username))`);
    await q.query(`
      CREATE TABLE api_keys (
        id                  uuid PRIMARY KEY,
        client_id           text NOT NULL REFERENCES clients (id),
        service_name        text NOT NULL,
        prefix              text NOT NULL,
        key_hash            text NOT NULL UNIQUE,
        rate_limit_rpm      int,
        rate_limit_burst    int,
        rate_limit_tpm      int,
        max_concurrent_jobs int,
        allowed_models      text[],
        created_by          uuid,
        created_at          timestamptz NOT NULL DEFAULT now(),
        revoked_at          timestamptz,
        last_used_at        timestamptz
      )`);
    await q.query(`CREATE INDEX api_keys_client_idx ON api_keys (client_id, created_at DESC)`);
    await q.query(`
      CREATE TABLE refresh_tokens (
        id          uuid PRIMARY KEY,
        user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        family_id   uuid NOT NULL,
        token_hash  text NOT NULL UNIQUE,
        created_at  timestamptz NOT NULL DEFAULT now(),
        expires_at  timestamptz NOT NULL,
        used_at     timestamptz,
        revoked_at  timestamptz
      )`);
    await q.query(`CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id)`);
    await q.query(`CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id) WHERE revoked_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE refresh_tokens`);
    await q.query(`DROP TABLE api_keys`);
    await q.query(`DROP TABLE users`);
    await q.query(`DROP TABLE clients`);
  }
}
