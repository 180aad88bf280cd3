import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { returnedRows } from '../query-result';
import { ensureClient } from './users.repository';

export interface ApiKeyLimits {
  rate_limit_rpm: number | null;
  rate_limit_burst: number | null;
  rate_limit_tpm: number | null;
  max_concurrent_jobs: number | null;
  allowed_models: string[] | null;
}

export interface ApiKeyRecord extends ApiKeyLimits {
  id: string;
  client_id: string;
  service_name: string;
  prefix: string;
  created_by: string | null;
  created_at: Date;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

export interface NewApiKey extends ApiKeyLimits {
  id: string;
  clientId: string;
  serviceName: string;
  prefix: string;
  keyHash: string;
  createdBy: string | null;
}

// key_hash is never selected: nothing outside the lookup needs it.
const COLUMNS =
  'id, client_id, service_name, prefix, rate_limit_rpm, rate_limit_burst, rate_limit_tpm, max_concurrent_jobs, allowed_models, created_by, created_at, revoked_at, last_used_at';

@Injectable()
export class ApiKeysRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Stores a new key (and its client, on first use). */
  create(key: NewApiKey): Promise<ApiKeyRecord> {
    return this.ds.transaction(async (m) => {
      await ensureClient(m, key.clientId);
      const rows: ApiKeyRecord[] = await m.query(
        `INSERT INTO api_keys (id, client_id, service_name, prefix, key_hash, rate_limit_rpm, rate_limit_burst, rate_limit_tpm,
                               max_concurrent_jobs, allowed_models, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${COLUMNS}`,
        [
          key.id,
          key.clientId,
          key.serviceName,
          key.prefix,
          key.keyHash,
          key.rate_limit_rpm,
          key.rate_limit_burst,
          key.rate_limit_tpm,
          key.max_concurrent_jobs,
          key.allowed_models,
          key.createdBy,
        ],
      );
      return rows[0];
    });
  }

  /** The unrevoked key whose secret hashes to `keyHash`, if any. */
  async findActiveByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    const rows: ApiKeyRecord[] = await this.ds.query(`SELECT ${COLUMNS} FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`, [keyHash]);
    return rows[0] ?? null;
  }

  /** Every key, newest first, optionally of one client; revoked ones included (audit). */
  list(clientId?: string): Promise<ApiKeyRecord[]> {
    return clientId === undefined
      ? this.ds.query(`SELECT ${COLUMNS} FROM api_keys ORDER BY created_at DESC`)
      : this.ds.query(`SELECT ${COLUMNS} FROM api_keys WHERE client_id = $1 ORDER BY created_at DESC`, [clientId]);
  }

  /** Revokes the key (idempotent: the first revocation time is kept); null when unknown. */
  async revoke(id: string): Promise<ApiKeyRecord | null> {
    const rows = returnedRows<ApiKeyRecord>(
      await this.ds.query(`UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING ${COLUMNS}`, [id]),
    );
    return rows[0] ?? null;
  }

  async markUsed(id: string): Promise<void> {
    await this.ds.query('UPDATE api_keys SET last_used_at = now() WHERE id = $1', [id]);
  }
}
