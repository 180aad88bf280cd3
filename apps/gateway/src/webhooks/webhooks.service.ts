import { Inject, Injectable } from '@nestjs/common';
import { Topics, type WebhookDelivery } from '@gantry/contracts';
import { WebhooksRepository, type DeliveryRow, type WebhookEndpoint } from '@gantry/db';
import { GantryProducer } from '@gantry/kafka';
import { generateSecret } from '@gantry/webhooks';
import { ApiError, ApiErrorCode } from '../errors/api-error';
import { WebhookUrlPolicy } from './webhook-url.policy';

export const WEBHOOK_SECRET_GRACE = Symbol('WEBHOOK_SECRET_GRACE');

const endpointView = (e: WebhookEndpoint) => ({
  id: e.id,
  url: e.url,
  description: e.description,
  status: e.disabled_at ? 'disabled' : 'active',
  disabled_reason: e.disabled_reason,
  created_at: e.created_at,
});

const deliveryView = (d: DeliveryRow) => ({
  id: d.id,
  webhook_id: d.message_id,
  request_id: d.request_id,
  batch_id: d.batch_id,
  endpoint_id: d.endpoint_id,
  url: d.url,
  event_type: d.event_type,
  attempt: d.attempt,
  outcome: d.outcome,
  response_status: d.response_status,
  error: d.error,
  duration_ms: d.duration_ms,
  next_attempt_at: d.next_attempt_at,
  created_at: d.created_at,
});

/** A client's webhook endpoints, signing secrets, delivery log and replays. */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly repo: WebhooksRepository,
    private readonly policy: WebhookUrlPolicy,
    private readonly producer: GantryProducer,
    @Inject(WEBHOOK_SECRET_GRACE) private readonly graceSeconds: number,
  ) {}

  /** The secret is returned here only: it is never shown again. */
  async createEndpoint(clientId: string, url: string, description?: string) {
    await this.policy.check(url);
    const secret = generateSecret();
    const endpoint = await this.repo.createEndpoint(clientId, url, description ?? null, secret);
    return { ...endpointView(endpoint), secret };
  }

  async listEndpoints(clientId: string) {
    return { data: (await this.repo.listEndpoints(clientId)).map(endpointView) };
  }

  async deleteEndpoint(clientId: string, id: string): Promise<void> {
    if (!(await this.repo.deleteEndpoint(clientId, id))) throw new ApiError(ApiErrorCode.WebhookEndpointNotFound, `Webhook endpoint ${id} not found`);
  }

  /** New secret now; the old one also signs for the grace period so receivers can switch. */
  async rotateEndpointSecret(clientId: string, id: string) {
    const secret = generateSecret();
    if (!(await this.repo.rotateEndpointSecret(clientId, id, secret, this.graceSeconds))) {
      throw new ApiError(ApiErrorCode.WebhookEndpointNotFound, `Webhook endpoint ${id} not found`);
    }
    return { id, secret, previous_secret_valid_for_seconds: this.graceSeconds };
  }

  /** The secret that signs this client's per-job webhooks (created on first use). */
  async clientSecret(clientId: string) {
    const s = await this.repo.clientSecret(clientId, generateSecret());
    return { secret: s.secret };
  }

  async rotateClientSecret(clientId: string) {
    const secret = generateSecret();
    await this.repo.rotateClientSecret(clientId, secret, this.graceSeconds);
    return { secret, previous_secret_valid_for_seconds: this.graceSeconds };
  }

  async deliveries(clientId: string, filter: { requestId?: string; batchId?: string }, limit: number) {
    return { data: (await this.repo.listDeliveries(clientId, { ...filter, limit })).map(deliveryView) };
  }

  /** Sends a past delivery again (same `webhook-id`, attempts start over). */
  async replay(clientId: string, webhookId: string) {
    const last = await this.repo.latestAttempt(clientId, webhookId);
    if (!last) throw new ApiError(ApiErrorCode.WebhookDeliveryNotFound, `Delivery ${webhookId} not found`);
    const delivery: WebhookDelivery = {
      schema: 1,
      message_id: last.message_id,
      client_id: clientId,
      ...(last.request_id ? { request_id: last.request_id } : {}),
      ...(last.batch_id ? { batch_id: last.batch_id } : {}),
      ...(last.endpoint_id ? { endpoint_id: last.endpoint_id } : {}),
      url: last.url,
      event_type: last.event_type as WebhookDelivery['event_type'],
      body: last.body,
      attempt: 1,
    };
    await this.repo.forgetDelivered(last.message_id, last.url, last.endpoint_id);
    await this.producer.publish(Topics.webhooks, delivery.endpoint_id ?? delivery.request_id ?? delivery.batch_id ?? clientId, delivery);
    return { webhook_id: webhookId, status: 'queued' };
  }
}
