import type { INestApplicationContext, LoggerService } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import { KafkaInspector, watchConsumerLag, type TopicNamer } from '@gantry/kafka';
import { startHealthServer, type HealthServer } from './health-server';

export interface ConsumerObservability {
  /** URL of the process's own health/metrics server; null when HEALTH_PORT is 0. */
  healthUrl: string | null;
  close(): Promise<void>;
}

/**
 * For a consumer app with Postgres (recorder, webhooks): its group lag in `/metrics`, and
 * `/health`, `/health/ready`, `/metrics` on HEALTH_PORT.
 */
export async function startConsumerObservability(opts: {
  env: { HEALTH_PORT: number; HEALTH_HOST: string };
  app: INestApplicationContext;
  /** Checked by readiness when the app uses Redis. */
  redis?: Redis;
  kafka: Kafka;
  namer: TopicNamer;
  group: string;
  topics: string[];
  logger?: LoggerService;
}): Promise<ConsumerObservability> {
  const { env, kafka, namer } = opts;
  const inspector = new KafkaInspector(kafka, namer);
  const stopLag = watchConsumerLag(inspector, namer, opts.group, opts.topics);
  let health: HealthServer | null = null;
  if (env.HEALTH_PORT > 0) {
    try {
      health = await startHealthServer({
        port: env.HEALTH_PORT,
        host: env.HEALTH_HOST,
        readiness: { postgres: opts.app.get(DataSource, { strict: false }), ...(opts.redis ? { redis: opts.redis } : {}), kafka: inspector },
        logger: opts.logger,
      });
    } catch (err) {
      stopLag();
      await inspector.close();
      throw err;
    }
  }
  return {
    healthUrl: health?.url ?? null,
    async close() {
      stopLag();
      await health?.close();
      await inspector.close();
    },
  };
}
