import { NestFactory } from '@nestjs/core';
import type { LoggerService } from '@nestjs/common';
import { WorkerEnv } from '@gantry/config';
import { JobMessageDto, parseMessage, PRIORITIES, Topics, type Priority } from '@gantry/contracts';
import { createKafka, ErrorPassthroughFilter, GantryKafkaServer, GantryProducer, TopicNamer } from '@gantry/kafka';
import { RUN_JOB } from './jobs/jobs.controller';
import { WorkerModule } from './worker.module';

export interface RunningWorker {
  server: GantryKafkaServer;
  close(): Promise<void>;
}

/** Boots a worker for `env.WORKER_POOL`: one consumer group over the pool's three priority topics. */
export async function bootstrapWorker(env: WorkerEnv, logger?: LoggerService): Promise<RunningWorker> {
  const pool = env.WORKER_POOL;
  const namer = new TopicNamer(env.KAFKA_TOPIC_PREFIX);
  const kafka = createKafka(env, `gantry-worker-${pool}`);
  const producer = new GantryProducer(kafka, namer);
  await producer.connect();

  const topicPriority = new Map<string, Priority>(PRIORITIES.map((p) => [Topics.jobs(pool, p), p]));
  const server = new GantryKafkaServer({
    kafka,
    namer,
    producer,
    sessionTimeoutMs: env.KAFKA_SESSION_TIMEOUT_MS,
    groupId: `gantry.worker.${pool}`,
    mode: 'priority',
    routes: [
      {
        pattern: RUN_JOB,
        topics: [...topicPriority.keys()],
        validate: (v) => parseMessage(JobMessageDto, v),
        priorityOf: (t) => topicPriority.get(t)!,
      },
    ],
    scheduler: { maxConcurrent: env.WORKER_MAX_CONCURRENT, maxWaiting: env.WORKER_MAX_WAITING, agingMs: env.WORKER_AGING_MS },
  });
  const backendUrl = pool === 'gemma' ? env.GEMMA_BACKEND_URL : env.OCR_BACKEND_URL;
  if (!backendUrl) throw new Error(`no backend URL configured for pool ${pool}`);
  const app = await NestFactory.createMicroservice(
    WorkerModule.forRoot({
      producer,
      backendUrl,
      settings: {
        maxAttempts: env.WORKER_MAX_ATTEMPTS,
        retryBaseMs: env.WORKER_RETRY_BASE_MS,
        retryMaxMs: env.WORKER_RETRY_MAX_MS,
        requestTimeoutMs: env.WORKER_REQUEST_TIMEOUT_MS,
        sendPriority: env.BACKEND_SEND_PRIORITY === 'true',
      },
    }),
    { strategy: server, logger: logger ?? false, bufferLogs: false },
  );
  app.useGlobalFilters(new ErrorPassthroughFilter());
  await app.listen();
  return {
    server,
    async close() {
      await app.close();
      await producer.disconnect();
    },
  };
}
