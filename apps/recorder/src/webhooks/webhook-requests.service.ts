import { Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Topics, type JobView, type WebhookDelivery, type JobWebhookEventType } from '@gantry/contracts';
import { documentView, WebhooksRepository, type JobChange, type WebhookEndpoint } from '@gantry/db';
import { GantryProducer } from '@gantry/kafka';

/** Which webhook event a recorded change is, if any (`job.started` per attempt, `job.completed` once; `job.progress` comes from requestProgress). */
function eventsOf(changes: JobChange[]): Map<string, Array<{ type: JobWebhookEventType; attempt: number }>> {
  const out = new Map<string, Array<{ type: JobWebhookEventType; attempt: number }>>();
  for (const c of changes) {
    const type: JobWebhookEventType | null = c.status_rank === 2 ? 'job.completed' : c.started_at && c.status_rank === 1 ? 'job.started' : null;
    if (!type) continue;
    const list = out.get(c.request_id) ?? [];
    list.push({ type, attempt: type === 'job.completed' ? 0 : c.attempts });
    out.set(c.request_id, list);
  }
  return out;
}

const FILTER_OF: Record<JobWebhookEventType, string> = { 'job.started': 'started', 'job.progress': 'progress', 'job.completed': 'completed' };

/**
 * Turns recorded lifecycle changes (and PDF page progress) into deliveries on
 * `gantry.webhooks.v1`: one per target (the job's own webhook if its filter asks for the event,
 * and every active endpoint of the client). The `webhook-id` is derived from (job, event,
 * attempt or step, target), so a replayed Kafka record yields the same id and the webhooks app
 * sends it once.
 */
@Injectable()
export class WebhookRequestsService {
  private readonly log = new Logger(WebhookRequestsService.name);

  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly producer: GantryProducer,
  ) {}

  async request(changes: JobChange[], views: JobView[]): Promise<void> {
    const events = eventsOf(changes);
    if (!events.size) return;
    const byId = new Map(views.map((v) => [v.request_id, v]));
    const clients = [...new Set([...events.keys()].map((id) => byId.get(id)?.client_id).filter((c): c is string => !!c))];
    const endpoints = await this.webhooks.activeEndpointsOf(clients);
    const deliveries: WebhookDelivery[] = [];
    for (const [requestId, list] of events) {
      const view = byId.get(requestId);
      if (!view) continue;
      for (const { type, attempt } of list) {
        // A completion event that lost to an earlier terminal outcome says nothing new.
        if (type === 'job.completed' && view.status === 'running') continue;
        // A finished PDF shows its pages' progress, as polling does.
        deliveries.push(...this.deliveriesOf(type === 'job.completed' ? documentView(view, null) : view, type, attempt, endpoints));
      }
    }
    await this.publish(deliveries);
  }

  /**
   * `job.progress` for PDF parent jobs whose pages moved on: `views` are the parents as polling
   * shows them (with `progress`). Keyed by pages done, so a replayed batch yields the same
   * `webhook-id` for the same step. Chat jobs send none: their tokens go to the SSE stream.
   */
  async requestProgress(views: JobView[]): Promise<void> {
    const endpoints = await this.webhooks.activeEndpointsOf([...new Set(views.map((v) => v.client_id))]);
    await this.publish(views.flatMap((v) => (v.progress ? this.deliveriesOf(v, 'job.progress', v.progress.done, endpoints) : [])));
  }

  /** One delivery per target: every active endpoint of the client, and the job's own webhook if its filter asks for `type`. */
  private deliveriesOf(view: JobView, type: JobWebhookEventType, key: number, endpoints: Array<Pick<WebhookEndpoint, 'id' | 'client_id' | 'url'>>): WebhookDelivery[] {
    const body = JSON.stringify({ type, timestamp: new Date().toISOString(), data: view });
    const targets: Array<{ url: string; endpoint_id?: string }> = endpoints.filter((e) => e.client_id === view.client_id).map((e) => ({ url: e.url, endpoint_id: e.id }));
    if (view.webhook && (view.webhook_events_filter ?? ['completed']).includes(FILTER_OF[type] as never)) targets.push({ url: view.webhook });
    return targets.map((t) => ({
      schema: 1,
      message_id: `msg_${createHash('sha256').update(`${view.request_id}|${type}|${key}|${t.endpoint_id ?? t.url}`).digest('hex').slice(0, 32)}`,
      client_id: view.client_id,
      request_id: view.request_id,
      ...(t.endpoint_id ? { endpoint_id: t.endpoint_id } : {}),
      url: t.url,
      event_type: type,
      body,
      attempt: 1,
    }));
  }

  private async publish(deliveries: WebhookDelivery[]): Promise<void> {
    await Promise.all(deliveries.map((d) => this.producer.publish(Topics.webhooks, d.endpoint_id ?? d.request_id ?? d.client_id, d)));
    if (deliveries.length) this.log.debug({ msg: 'webhook deliveries requested', count: deliveries.length });
  }
}
