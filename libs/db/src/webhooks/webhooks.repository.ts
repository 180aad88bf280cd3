import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';

export interface WebhookEndpoint {
  id: string;
  client_id: string;
  url: string;
  description: string | null;
  disabled_at: Date | null;
  disabled_reason: string | null;
  created_at: Date;
}

export interface EndpointSecrets {
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
}

export type DeliveryOutcome = 'delivered' | 'retrying' | 'failed' | 'endpoint_disabled' | 'skipped';

export interface DeliveryAttempt {
  message_id: string;
  client_id: string;
  request_id?: string | null;
  batch_id?: string | null;
  endpoint_id?: string | null;
  url: string;
  event_type: string;
  attempt: number;
  outcome: DeliveryOutcome;
  response_status?: number | null;
  error?: string | null;
  duration_ms?: number | null;
  next_attempt_at?: Date | null;
  body: string;
}

export interface DeliveryRow extends Required<DeliveryAttempt> {
  id: string;
  created_at: Date;
}

const ENDPOINT_COLUMNS = 'id, client_id, url, description, disabled_at, disabled_reason, created_at';

/** Secrets still valid now: the current one, and the previous one during its rotation grace. */
export function activeSecrets(s: EndpointSecrets, now = new Date()): string[] {
  return s.previous_secret && s.previous_secret_expires_at && s.previous_secret_expires_at > now ? [s.secret, s.previous_secret] : [s.secret];
}

@Injectable()
export class WebhooksRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async createEndpoint(clientId: string, url: string, description: string | null, secret: string): Promise<WebhookEndpoint> {
    const id = `we_${randomBytes(12).toString('hex')}`;
    const rows: WebhookEndpoint[] = await this.ds.query(
      `INSERT INTO webhook_endpoints (id, client_id, url, description, secret) VALUES ($1, $2, $3, $4, $5) RETURNING ${ENDPOINT_COLUMNS}`,
      [id, clientId, url, description, secret],
    );
    return rows[0];
  }

  listEndpoints(clientId: string): Promise<WebhookEndpoint[]> {
    return this.ds.query(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE client_id = $1 ORDER BY created_at`, [clientId]);
  }

  async deleteEndpoint(clientId: string, id: string): Promise<boolean> {
    const [, count] = (await this.ds.query('DELETE FROM webhook_endpoints WHERE id = $1 AND client_id = $2', [id, clientId])) as [unknown, number];
    return count > 0;
  }

  /** New secret; the old one keeps signing (second signature) until `graceSeconds` pass. */
  async rotateEndpointSecret(clientId: string, id: string, secret: string, graceSeconds: number): Promise<boolean> {
    const [, count] = (await this.ds.query(
      `UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_expires_at = now() + make_interval(secs => $4), secret = $3
       WHERE id = $1 AND client_id = $2`,
      [id, clientId, secret, graceSeconds],
    )) as [unknown, number];
    return count > 0;
  }

  /** Active endpoints of these clients (one query per recorder batch). */
  activeEndpointsOf(clientIds: string[]): Promise<Array<Pick<WebhookEndpoint, 'id' | 'client_id' | 'url'>>> {
    if (!clientIds.length) return Promise.resolve([]);
    return this.ds.query('SELECT id, client_id, url FROM webhook_endpoints WHERE client_id = ANY($1) AND disabled_at IS NULL', [clientIds]);
  }

  async endpointForDelivery(id: string): Promise<(EndpointSecrets & { disabled_at: Date | null; url: string }) | null> {
    const rows = await this.ds.query('SELECT url, secret, previous_secret, previous_secret_expires_at, disabled_at FROM webhook_endpoints WHERE id = $1', [id]);
    return rows[0] ?? null;
  }

  async disableEndpoint(id: string, reason: string): Promise<void> {
    await this.ds.query('UPDATE webhook_endpoints SET disabled_at = now(), disabled_reason = $2 WHERE id = $1 AND disabled_at IS NULL', [id, reason]);
  }

  /** The client's secret for per-job webhooks, created on first use. */
  async clientSecret(clientId: string, fresh: string): Promise<EndpointSecrets> {
    await this.ds.query('INSERT INTO webhook_secrets (client_id, secret) VALUES ($1, $2) ON CONFLICT (client_id) DO NOTHING', [clientId, fresh]);
    const rows: EndpointSecrets[] = await this.ds.query('SELECT secret, previous_secret, previous_secret_expires_at FROM webhook_secrets WHERE client_id = $1', [clientId]);
    return rows[0];
  }

  async rotateClientSecret(clientId: string, secret: string, graceSeconds: number): Promise<void> {
    await this.ds.query(
      `INSERT INTO webhook_secrets (client_id, secret) VALUES ($1, $2)
       ON CONFLICT (client_id) DO UPDATE SET previous_secret = webhook_secrets.secret,
         previous_secret_expires_at = now() + make_interval(secs => $3), secret = EXCLUDED.secret`,
      [clientId, secret, graceSeconds],
    );
  }

  async recordAttempt(a: DeliveryAttempt): Promise<void> {
    await this.ds.query(
      `INSERT INTO webhook_deliveries (message_id, client_id, request_id, endpoint_id, url, event_type, attempt, outcome,
                                       response_status, error, duration_ms, next_attempt_at, body, batch_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [a.message_id, a.client_id, a.request_id ?? null, a.endpoint_id ?? null, a.url, a.event_type, a.attempt, a.outcome,
       a.response_status ?? null, a.error ?? null, a.duration_ms ?? null, a.next_attempt_at ?? null, a.body, a.batch_id ?? null],
    );
  }

  /** True when this message already reached this target (a replayed Kafka record must not send twice). */
  async wasDelivered(messageId: string, url: string, endpointId: string | null): Promise<boolean> {
    const rows = await this.ds.query(
      `SELECT 1 FROM webhook_deliveries WHERE message_id = $1 AND url = $2 AND endpoint_id IS NOT DISTINCT FROM $3 AND outcome = 'delivered' LIMIT 1`,
      [messageId, url, endpointId],
    );
    return rows.length > 0;
  }

  /** A manual replay must send again even though the message was delivered before. */
  async forgetDelivered(messageId: string, url: string, endpointId: string | null): Promise<void> {
    await this.ds.query(
      `UPDATE webhook_deliveries SET outcome = 'skipped', error = 'superseded by a manual replay'
       WHERE message_id = $1 AND url = $2 AND endpoint_id IS NOT DISTINCT FROM $3 AND outcome = 'delivered'`,
      [messageId, url, endpointId],
    );
  }

  listDeliveries(clientId: string, filter: { requestId?: string; batchId?: string; limit: number }): Promise<DeliveryRow[]> {
    return this.ds.query(
      `SELECT id, message_id, client_id, request_id, batch_id, endpoint_id, url, event_type, attempt, outcome, response_status, error,
              duration_ms, next_attempt_at, body, created_at
       FROM webhook_deliveries WHERE client_id = $1 AND ($2::uuid IS NULL OR request_id = $2::uuid) AND ($4::text IS NULL OR batch_id = $4)
       ORDER BY created_at DESC, id DESC LIMIT $3`,
      [clientId, filter.requestId ?? null, filter.limit, filter.batchId ?? null],
    );
  }

  async latestAttempt(clientId: string, messageId: string): Promise<DeliveryRow | null> {
    const rows = await this.ds.query(
      `SELECT * FROM webhook_deliveries WHERE client_id = $1 AND message_id = $2 ORDER BY id DESC LIMIT 1`,
      [clientId, messageId],
    );
    return rows[0] ?? null;
  }
}
