import { Inject, Injectable, Logger } from '@nestjs/common';
import { Topics, WEBHOOK_RETRY_SCHEDULE_S, WEBHOOK_RETRY_TIERS, type WebhookDelivery } from '@gantry/contracts';
import { activeSecrets, WebhooksRepository, type DeliveryAttempt, type DeliveryOutcome } from '@gantry/db';
import { GantryProducer } from '@gantry/kafka';
import { webhookDeliveriesTotal } from '@gantry/metrics';
import { AllowList, assertSafeUrl, generateSecret, signatureHeaders, SsrfError } from '@gantry/webhooks';
import { MAX_RETRY_AFTER_MS, postWebhook } from './http-sender';

export interface DeliverySettings {
  allow: AllowList;
  timeoutMs: number;
}
export const DELIVERY_SETTINGS = Symbol('DELIVERY_SETTINGS');

const TIER_SECONDS: Record<(typeof WEBHOOK_RETRY_TIERS)[number], number> = {
  '5s': 5, '5m': 300, '30m': 1800, '2h': 7200, '5h': 18000, '10h': 36000, '14h': 50400, '20h': 72000, '24h': 86400,
};

type RetryTier = (typeof WEBHOOK_RETRY_TIERS)[number];

/** The retry topic for a nominal (un-jittered) delay: the longest tier not longer than it. */
export function tierFor(delaySeconds: number): RetryTier {
  let tier: RetryTier = WEBHOOK_RETRY_TIERS[0];
  for (const t of WEBHOOK_RETRY_TIERS) if (TIER_SECONDS[t] <= delaySeconds) tier = t;
  return tier;
}

export interface RetryPlan {
  /** Wait before the next attempt (jittered, or what `Retry-After` asked). */
  delayMs: number;
  tier: RetryTier;
}

/**
 * When and through which delay topic attempt `attempt + 1` goes; null when the schedule is
 * exhausted. The delay is the schedule's step with ±10 % jitter, or a longer `Retry-After`
 * (capped at 24 h). The topic comes from the nominal step, never from the jittered delay: a
 * 5 min retry jittered to 270 s stays on the 5 min topic instead of landing at the head of the
 * 5 s topic, whose partition would then stay paused (holding every 5 s retry behind it) for
 * minutes. A longer `Retry-After` goes to the longest tier not longer than it asks, and the
 * consumer waits until it is due. So within a tier, messages fall due in the order they were
 * published give or take the jitter (±10 % of the tier's delay) and a `Retry-After` (less than
 * the next tier's delay): a paused head holds the messages behind it at most that long.
 */
export function nextRetry(attempt: number, retryAfterMs?: number): RetryPlan | null {
  if (attempt >= WEBHOOK_RETRY_SCHEDULE_S.length) return null;
  const step = WEBHOOK_RETRY_SCHEDULE_S[attempt];
  const jittered = step * 1000 * (0.9 + Math.random() * 0.2);
  const asked = Math.min(retryAfterMs ?? 0, MAX_RETRY_AFTER_MS);
  if (asked > jittered) return { delayMs: Math.round(asked), tier: tierFor(Math.max(step, asked / 1000)) };
  return { delayMs: Math.round(jittered), tier: tierFor(step) };
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
    const plan = nextRetry(d.attempt, result.retryAfterMs);
    const outcome: DeliveryOutcome = plan === null ? 'failed' : 'retrying';
    const nextAt = plan === null ? null : new Date(Date.now() + plan.delayMs);
    if (plan && nextAt) {
      const retry: WebhookDelivery = { ...d, attempt: d.attempt + 1, not_before: nextAt.toISOString() };
      await this.producer.publish(Topics.webhookRetry(plan.tier), d.endpoint_id ?? d.request_id ?? d.batch_id ?? d.client_id, retry);
    }
    await this.record({ ...attempt, outcome, error, next_attempt_at: nextAt });
    this.log.log({ msg: 'webhook delivery failed', message_id: d.message_id, request_id: d.request_id, attempt: d.attempt, error, next_attempt_at: nextAt });
  }
}
