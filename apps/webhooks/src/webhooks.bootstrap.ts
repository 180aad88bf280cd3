import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { WebhooksEnv } from '@gantry/config';
import { parseMessage, Topics, WEBHOOK_RETRY_TIERS, WebhookDeliveryDto } from '@gantry/contracts';
import { startConsumerObservability } from '@gantry/health';
import { createKafka, ErrorPassthroughFilter, GantryKafkaServer, GantryProducer, TopicNamer } from '@gantry/kafka';
import { DELIVER } from './delivery/delivery.controller';
import { WebhooksModule } from './webhooks.module';

export interface RunningWebhooks {
  /** The app's `/health`, `/health/ready`, `/metrics` server (HEALTH_PORT); null when off. */
  healthUrl: string | null;
  close(): Promise<void>;
}

/**
 * The delivery consumer: new deliveries and every retry tier, through the same scheduler as jobs
 * (bounded concurrency, offsets committed only past finished deliveries). Retry tiers are delay
 * topics: a partition whose head is not due yet is paused until it is.
 */
export async function bootstrapWebhooks(env: WebhooksEnv, logger?: LoggerService): Promise<RunningWebhooks> {
  const namer = new TopicNamer(env.KAFKA_TOPIC_PREFIX);
  const kafka = createKafka(env, 'gantry-webhooks');
  const producer = new GantryProducer(kafka, namer);
  await producer.connect();
  const validate = (v: unknown) => parseMessage(WebhookDeliveryDto, v);
  const topics = [Topics.webhooks, ...WEBHOOK_RETRY_TIERS.map((t) => Topics.webhookRetry(t))];
  const server = new GantryKafkaServer({
    kafka,
    namer,
    producer,
    sessionTimeoutMs: env.KAFKA_SESSION_TIMEOUT_MS,
    groupId: 'gantry.webhooks',
    mode: 'priority',
    routes: [
      {
        pattern: DELIVER,
        topics,
        validate,
        // First attempts before retries when both wait.
        priorityOf: (t) => (t === Topics.webhooks ? 'high' : 'normal'),
        notBefore: (v) => {
          const at = (v as { not_before?: string }).not_before;
          return at ? Date.parse(at) : undefined;
        },
      },
    ],
    scheduler: { maxConcurrent: env.WEBHOOK_CONCURRENCY, maxWaiting: env.WEBHOOK_CONCURRENCY * 4, agingMs: 60_000 },
    drainTimeoutMs: env.WEBHOOK_TIMEOUT_MS + 1_000,
  });
  const app = await NestFactory.createMicroservice(WebhooksModule.forRoot(env, producer), { strategy: server, logger: logger ?? false });
  app.useGlobalFilters(new ErrorPassthroughFilter());
  await app.listen();
  const observability = await startConsumerObservability({ env, app, kafka, namer, group: 'gantry.webhooks', topics, logger });
  return {
    healthUrl: observability.healthUrl,
    async close() {
      await app.close();
      await observability.close();
      await producer.disconnect();
    },
  };
}
