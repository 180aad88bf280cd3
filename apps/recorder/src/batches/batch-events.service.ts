import { Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Topics, type BatchWebhookEvent, type BatchWebhookEventType, type WebhookDelivery } from '@gantry/contracts';
import { BatchesRepository, WebhooksRepository, type BatchRow } from '@gantry/db';
import { GantryProducer } from '@gantry/kafka';

const ENDED_PER_SWEEP = 100;
const sha = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);

/** The end event of a batch, in OpenAI's envelope. Deterministic: a replay builds the same bytes. */
export function batchEndEvent(batch: Pick<BatchRow, 'id' | 'status' | 'completed_at' | 'failed_at' | 'expired_at' | 'cancelled_at' | 'created_at'>): BatchWebhookEvent | null {
  const ends: Record<string, [BatchWebhookEventType, Date | null]> = {
    completed: ['batch.completed', batch.completed_at],
    failed: ['batch.failed', batch.failed_at],
    expired: ['batch.expired', batch.expired_at],
    cancelled: ['batch.cancelled', batch.cancelled_at],
  };
  const end = ends[batch.status];
  if (!end) return null;
  const [type, at] = end;
  return { id: `evt_${sha(`${batch.id}|${type}`)}`, object: 'event', created_at: Math.floor(new Date(at ?? batch.created_at).getTime() / 1000), type, data: { id: batch.id } };
}

/**
 * Announces ended batches to the webhooks app: to the batch's own `webhook` (signed with the
 * client's secret, like a per-job webhook) and to every active endpoint of the client. The
 * `webhook-id` derives from (batch, event, target) and `notified_at` is set only after the
 * deliveries are in Kafka, so a recorder that dies in between sends the same ids again and the
 * webhooks app delivers each once.
 */
@Injectable()
export class BatchEventsService {
  private readonly log = new Logger(BatchEventsService.name);

  constructor(
    private readonly batches: BatchesRepository,
    private readonly webhooks: WebhooksRepository,
    private readonly producer: GantryProducer,
  ) {}

  async announceEnded(): Promise<void> {
    for (const batch of await this.batches.unnotifiedEnded(ENDED_PER_SWEEP)) {
      const event = batchEndEvent(batch);
      if (event) {
        const body = JSON.stringify(event);
        const targets: Array<{ url: string; endpoint_id?: string }> = (await this.webhooks.activeEndpointsOf([batch.client_id])).map((e) => ({ url: e.url, endpoint_id: e.id }));
        if (batch.webhook) targets.push({ url: batch.webhook });
        const deliveries = targets.map(
          (t): WebhookDelivery => ({
            schema: 1,
            message_id: `msg_${sha(`${batch.id}|${event.type}|${t.endpoint_id ?? t.url}`)}`,
            client_id: batch.client_id,
            batch_id: batch.id,
            ...(t.endpoint_id ? { endpoint_id: t.endpoint_id } : {}),
            url: t.url,
            event_type: event.type,
            body,
            attempt: 1,
          }),
        );
        await Promise.all(deliveries.map((d) => this.producer.publish(Topics.webhooks, d.endpoint_id ?? batch.id, d, { 'x-batch-id': batch.id })));
        if (deliveries.length) this.log.log({ msg: 'batch end announced', batch_id: batch.id, type: event.type, targets: deliveries.length });
      }
      await this.batches.markNotified(batch.id);
    }
  }
}
