import type { PoolControlState } from './control';
import type { BatchMessage } from './batches';
import type { DeadLetter, JobEvent, JobMessage } from './jobs';
import type { PoolName, Priority, WEBHOOK_RETRY_TIERS } from './topics';
import type { WebhookDelivery } from './webhooks';

/**
 * Maps each topic to its payload, so publishing the wrong payload to a topic does not compile.
 * Topics whose producers do not exist yet are added here with their payload when they land.
 */
export type TopicPayloads = { [T in `gantry.jobs.${PoolName}.${Priority}.v1`]: JobMessage } & {
  'gantry.job-events.v1': JobEvent;
  'gantry.dlq.v1': DeadLetter;
  'gantry.control.v1': PoolControlState;
  'gantry.webhooks.v1': WebhookDelivery;
  'gantry.batches.v1': BatchMessage;
} & { [T in `gantry.webhooks.retry.${(typeof WEBHOOK_RETRY_TIERS)[number]}.v1`]: WebhookDelivery };
export type TopicName = keyof TopicPayloads;
export type PayloadOf<T extends TopicName> = TopicPayloads[T];
