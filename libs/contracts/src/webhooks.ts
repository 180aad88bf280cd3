/** Job webhook events: `job.started`, `job.progress`, `job.completed` (data.status says how it ended). */
export const JOB_WEBHOOK_EVENT_TYPES = ['job.started', 'job.progress', 'job.completed'] as const;
export type JobWebhookEventType = (typeof JOB_WEBHOOK_EVENT_TYPES)[number];
/** A batch's end, in OpenAI's webhook event envelope (`{id, object: "event", created_at, type, data: {id}}`). */
export const BATCH_WEBHOOK_EVENT_TYPES = ['batch.completed', 'batch.failed', 'batch.expired', 'batch.cancelled'] as const;
export type BatchWebhookEventType = (typeof BATCH_WEBHOOK_EVENT_TYPES)[number];
export const WEBHOOK_EVENT_TYPES = [...JOB_WEBHOOK_EVENT_TYPES, ...BATCH_WEBHOOK_EVENT_TYPES] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** OpenAI's webhook event envelope, used for batch events. */
export interface BatchWebhookEvent {
  id: string;
  object: 'event';
  created_at: number;
  type: BatchWebhookEventType;
  data: { id: string };
}

/** Delay before attempt n+1 (index n-1), seconds: 0, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h. */
export const WEBHOOK_RETRY_SCHEDULE_S = [0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400] as const;

/**
 * Message on `gantry.webhooks.v1` and the retry topics: one delivery to make. Carries no secret:
 * the signing secret is looked up at send time, so rotations apply to retries and secrets never
 * sit in Kafka.
 */
export interface WebhookDelivery {
  schema: 1;
  /** `webhook-id`: stable across retries and replays of the same event. */
  message_id: string;
  client_id: string;
  request_id?: string;
  /** Set for a batch event. */
  batch_id?: string;
  /** Set for a registered endpoint; absent for a per-job webhook (signed with the client secret). */
  endpoint_id?: string;
  url: string;
  event_type: WebhookEventType;
  /** The body to send (`{type, timestamp, data}` for jobs, a `BatchWebhookEvent` for batches), as JSON text (signed byte for byte). */
  body: string;
  /** 1-based attempt number of this send. */
  attempt: number;
  /** Do not send before this time (ISO); set on retries. */
  not_before?: string;
}
