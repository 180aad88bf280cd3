import { Inject, Injectable, Logger } from '@nestjs/common';
import { Topics, WEBHOOK_RETRY_SCHEDULE_S, WEBHOOK_RETRY_TIERS, type WebhookDelivery } from '@gantry/contracts';
import { activeSecrets, WebhooksRepository, type DeliveryAttempt, type DeliveryOutcome } from '@gantry/db';
import { GantryProducer } from '@gantry/kafka';
import { webhookDeliveriesTotal } from '@gantry/metrics';
import { AllowList, assertSafeUrl, generateSecret, signatureHeaders, SsrfError } from '@gantry/webhooks';
import { postWebhook } from './http-sender';

export interface DeliverySettings {
  allow: AllowList;
  timeoutMs: number;
}
export const DELIVERY_SETTINGS = Symbol('DELIVERY_SETTINGS');

const TIER_SECONDS: Record<(typeof WEBHOOK_RETRY_TIERS)[number], number> = {
  '5s': 5, '5m': 300, '30m': 1800, '2h': 7200, '5h': 18000, '10h': 36000, '14h': 50400, '20h': 72000, '24h': 86400,
};

/** The retry topic for a delay: the longest tier not longer than it, so heads of a tier fall due in order. */
export function tierFor(delaySeconds: number): (typeof WEBHOOK_RETRY_TIERS)[number] {
  let tier: (typeof WEBHOOK_RETRY_TIERS)[number] = WEBHOOK_RETRY_TIERS[0];
  for (const t of WEBHOOK_RETRY_TIERS) if (TIER_SECONDS[t] <= delaySeconds) tier = t;
  return tier;
}

/** Delay before attempt `attempt + 1`, with ±10 % jitter; null when the schedule is exhausted. */
export function nextDelayMs(attempt: number, retryAfterMs?: number): number | null {
  if (attempt >= WEBHOOK_RETRY_SCHEDULE_S.length) return null;
  const base = WEBHOOK_RETRY_SCHEDULE_S[attempt] * 1000;
  const jittered = base * (0.9 + Math.random() * 0.2);
  return Math.round(Math.max(jittered, retryAfterMs ?? 0));
}

/**
 * Makes one delivery attempt and decides what follows: done (2xx), endpoint disabled (410),
 * a retry through the delay topics, or given up. Every attempt is recorded. Returning means the
 * outcome (and any retry) is durable, so the offset may be committed.
 */
@Injectable()
export class DeliveryService {
  private readonly log = new Logger(DeliveryService.name);

  constructor(
    private readonly repo: WebhooksRepository,
    private readonly producer: GantryProducer,
    @Inject(DELIVERY_SETTINGS) private readonly settings: DeliverySettings,
  ) {}

  private async record(attempt: DeliveryAttempt): Promise<void> {
    await this.repo.recordAttempt(attempt);
    webhookDeliveriesTotal.inc({ outcome: attempt.outcome });
  }

  async deliver(d: WebhookDelivery): Promise<void> {
    const endpointId = d.endpoint_id ?? null;
    if (await this.repo.wasDelivered(d.message_id, d.url, endpointId)) return;
    const base = { message_id: d.message_id, client_id: d.client_id, request_id: d.request_id, batch_id: d.batch_id, endpoint_id: endpointId, url: d.url, event_type: d.event_type, attempt: d.attempt, body: d.body };

    let secrets: string[];
    if (endpointId) {
      const endpoint = await this.repo.endpointForDelivery(endpointId);
      if (!endpoint || endpoint.disabled_at) {
        await this.record({ ...base, outcome: 'skipped', error: endpoint ? 'endpoint is disabled' : 'endpoint was deleted' });
        return;
      }
      secrets = activeSecrets(endpoint);
    } else {
      secrets = activeSecrets(await this.repo.clientSecret(d.client_id, generateSecret()));
    }

    let url: URL;
    try {
      url = await assertSafeUrl(d.url, this.settings.allow);
    } catch (err) {
      const reason = err instanceof SsrfError ? err.message : String(err);
      await this.record({ ...base, outcome: 'failed', error: `refused: ${reason}` });
      return;
    }
    const timestamp = Math.floor(Date.now() / 1000);
    const result = await postWebhook(url, d.body, signatureHeaders(secrets, d.message_id, timestamp, d.body), this.settings.allow, this.settings.timeoutMs);
    const status = result.status;
    const attempt = { ...base, response_status: status ?? null, duration_ms: result.durationMs };

    if (status !== undefined && status >= 200 && status < 300) {
      await this.record({ ...attempt, outcome: 'delivered' });
      return;
    }
    if (result.forbidden) {
      await this.record({ ...attempt, outcome: 'failed', error: `refused: ${result.error}` });
      return;
    }
    const error = status !== undefined ? `HTTP ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}` : result.error ?? 'no response';
    if (status === 410) {
      // Gone: the receiver asks us to stop. An endpoint is disabled; a per-job webhook just ends.
      if (endpointId) await this.repo.disableEndpoint(endpointId, 'receiver answered 410 Gone');
      await this.record({ ...attempt, outcome: endpointId ? 'endpoint_disabled' : 'failed', error });
      return;
    }
    const delay = nextDelayMs(d.attempt, result.retryAfterMs);
    const outcome: DeliveryOutcome = delay === null ? 'failed' : 'retrying';
    const nextAt = delay === null ? null : new Date(Date.now() + delay);
    if (nextAt) {
      const retry: WebhookDelivery = { ...d, attempt: d.attempt + 1, not_before: nextAt.toISOString() };
      await this.producer.publish(Topics.webhookRetry(tierFor(delay! / 1000)), d.endpoint_id ?? d.request_id ?? d.batch_id ?? d.client_id, retry);
    }
    await this.record({ ...attempt, outcome, error, next_attempt_at: nextAt });
    this.log.log({ msg: 'webhook delivery failed', message_id: d.message_id, request_id: d.request_id, attempt: d.attempt, error, next_attempt_at: nextAt });
  }
}
