import { NestFactory } from '@nestjs/core';
import type { LoggerService } from '@nestjs/common';
import { RecorderEnv } from '@gantry/config';
import { DeadLetterDto, JobEventDto, JobMessageDto, parseMessage, POOLS, PRIORITIES, Topics } from '@gantry/contracts';
import { createKafka, ErrorPassthroughFilter, GantryKafkaServer, GantryProducer, TopicNamer } from '@gantry/kafka';
import { startConsumerObservability } from '@gantry/health';
import { createRedis } from '@gantry/redis';
import { RECORD_DEAD_LETTERS } from './dead-letters/dead-letters.controller';
import { RECORD_EVENTS, RECORD_SUBMITTED } from './jobs/recorder.controller';
import { RecorderModule } from './recorder.module';

export interface RunningRecorder {
  /** The recorder's `/health`, `/health/ready`, `/metrics` server (HEALTH_PORT); null when off. */
  healthUrl: string | null;
  close(): Promise<void>;
}

export async function bootstrapRecorder(env: RecorderEnv, logger?: LoggerService): Promise<RunningRecorder> {
  const namer = new TopicNamer(env.KAFKA_TOPIC_PREFIX);
  const kafka = createKafka(env, 'gantry-recorder');
  const producer = new GantryProducer(kafka, namer);
  await producer.connect();
  const redis = createRedis(env);
  const server = new GantryKafkaServer({
    kafka,
    namer,
    producer,
    sessionTimeoutMs: env.KAFKA_SESSION_TIMEOUT_MS,
    groupId: 'gantry.recorder',
    mode: 'batch',
    partitionsConsumedConcurrently: 4,
    routes: [
      {
        pattern: RECORD_SUBMITTED,
        topics: POOLS.flatMap((pool) => PRIORITIES.map((p) => Topics.jobs(pool, p))),
        validate: (v) => parseMessage(JobMessageDto, v),
      },
      { pattern: RECORD_EVENTS, topics: [Topics.jobEvents], validate: (v) => parseMessage(JobEventDto, v) },
      { pattern: RECORD_DEAD_LETTERS, topics: [Topics.dlq], validate: (v) => parseMessage(DeadLetterDto, v) },
    ],
  });
  const app = await NestFactory.createMicroservice(RecorderModule.forRoot(env, redis, producer), { strategy: server, logger: logger ?? false });
  app.useGlobalFilters(new ErrorPassthroughFilter());
  await app.listen();
  const observability = await startConsumerObservability({
    env,
    app,
    redis,
    kafka,
    namer,
    group: 'gantry.recorder',
    topics: [...POOLS.flatMap((pool) => PRIORITIES.map((p) => Topics.jobs(pool, p))), Topics.jobEvents, Topics.dlq],
    logger,
  });
  return {
    healthUrl: observability.healthUrl,
    async close() {
      await app.close();
      await observability.close();
      await producer.disconnect();
      redis.disconnect();
    },
  };
}
