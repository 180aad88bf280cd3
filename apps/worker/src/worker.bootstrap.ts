import { NestFactory } from '@nestjs/core';
import type { INestMicroservice, LoggerService } from '@nestjs/common';
import { ConfigError, loadFileConfig, ocrBackendOf, WorkerEnv } from '@gantry/config';
import { JobMessageDto, parseMessage, PRIORITIES, Topics, type Priority } from '@gantry/contracts';
import { createKafka, ErrorPassthroughFilter, GantryKafkaServer, GantryProducer, KafkaInspector, PoolControlReader, TopicNamer } from '@gantry/kafka';
import { createRedis, JobChannels, JobUpdatesHub } from '@gantry/redis';
import { followPoolState } from './control/pool-state.follower';
import { CANCELLED } from './jobs/job-runner.service';
import { RUN_JOB } from './jobs/jobs.controller';
import { startWorkerObservability } from './observability/worker-observability';
import { startOcrRuntime, type OcrRuntime } from './ocr/ocr.module';
import { externalDriver, ProcessDriver, type ModelServerDriver, type ModelServerView } from './server/model-server.driver';
import { WorkerModule } from './worker.module';

export interface RunningWorker {
  server: GantryKafkaServer;
  /** The worker's `/health`, `/health/ready`, `/metrics` server (HEALTH_PORT); null when off. */
  healthUrl: string | null;
  /** The pool's model server driver and, with `process`, its server's state. */
  modelServer(): ModelServerView;
  close(): Promise<void>;
}

/** Boots a worker for `env.WORKER_POOL`: one consumer group over the pool's three priority topics. */
export async function bootstrapWorker(env: WorkerEnv, logger?: LoggerService): Promise<RunningWorker> {
  const pool = env.WORKER_POOL;
  const config = loadFileConfig(env.GANTRY_CONFIG);
  const serverConfig = pool === 'gemma' ? config.models.gemma : config.models.deepseek;
  if (serverConfig.driver === 'process' && pool === 'deepseek-ocr' && ocrBackendOf(env) !== 'vllm') {
    throw new ConfigError(['models.deepseek.driver: process runs a DeepSeek-OCR server and needs OCR_BACKEND=vllm with OCR_BACKEND_URL']);
  }
  const namer = new TopicNamer(env.KAFKA_TOPIC_PREFIX);
  const kafka = createKafka(env, `gantry-worker-${pool}`);
  const producer = new GantryProducer(kafka, namer);
  await producer.connect();

  // The OCR pool runs DeepSeek-OCR on vLLM, or tesseract in-process (no URL then).
  const ocrEngine = pool === 'deepseek-ocr' ? ocrBackendOf(env) : null;
  // Tesseract: a job takes a slot only when an engine can start it, so `running` means running.
  const maxConcurrent = ocrEngine === 'tesseract' ? Math.min(env.WORKER_MAX_CONCURRENT, env.OCR_TESSERACT_WORKERS) : env.WORKER_MAX_CONCURRENT;
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
    scheduler: { maxConcurrent, maxWaiting: env.WORKER_MAX_WAITING, agingMs: env.WORKER_AGING_MS },
  });
  const backendUrl = pool === 'gemma' ? env.GEMMA_BACKEND_URL : ocrEngine === 'vllm' ? env.OCR_BACKEND_URL : 'tesseract.js';
  if (!backendUrl) throw new Error(`no backend URL configured for pool ${pool}`);
  // Every replica follows the pool's desired state (stopped or running, the OCR resolution). It is
  // read in full and applied before the transport listens: a stopped pool stays stopped across restarts.
  const control = new PoolControlReader(kafka, namer);
  await control.start();
  const unfollow = followPoolState(server, control, pool);
  // `process`: this worker runs the pool's model server; it holds dispatching until the server is healthy.
  const serverInspector = new KafkaInspector(kafka, namer);
  const driver: ModelServerDriver =
    serverConfig.driver === 'process'
      ? new ProcessDriver({ pool, server, control, config, url: backendUrl, defaultResolution: env.OCR_DEFAULT_RESOLUTION, inspector: serverInspector })
      : externalDriver;
  let ocr: OcrRuntime | undefined;
  if (ocrEngine) {
    ocr = await startOcrRuntime(env, control).catch(async (err: unknown) => {
      await driver.close();
      unfollow();
      await control.close();
      throw err;
    });
  }
  const redis = createRedis(env);
  const channels = new JobChannels(env.REDIS_PREFIX);
  // Cancels reach every replica; the one running the job aborts its upstream request.
  const hub = new JobUpdatesHub(redis, channels);
  let app: INestMicroservice | undefined;
  let observability: Awaited<ReturnType<typeof startWorkerObservability>>;
  try {
    await hub.onCancel((requestId) => server.abortWhere((m) => m.key === requestId, CANCELLED));
    app = await NestFactory.createMicroservice(
      WorkerModule.forRoot({
        producer,
        redis,
        channels,
        backendUrl,
        ocr: ocr ? { env, runtime: ocr } : undefined,
        settings: {
          maxAttempts: env.WORKER_MAX_ATTEMPTS,
          retryBaseMs: env.WORKER_RETRY_BASE_MS,
          retryMaxMs: env.WORKER_RETRY_MAX_MS,
          requestTimeoutMs: env.WORKER_REQUEST_TIMEOUT_MS,
          sendPriority: env.BACKEND_SEND_PRIORITY === 'true',
          cacheTtlSeconds: env.CACHE_TTL_SECONDS,
        },
      }),
      { strategy: server, logger: logger ?? false, bufferLogs: false },
    );
    app.useGlobalFilters(new ErrorPassthroughFilter());
    await app.listen();
    observability = await startWorkerObservability({ env, server, kafka, namer, backendUrl: ocrEngine === 'tesseract' ? undefined : backendUrl, modelServer: () => driver.view(), logger });
  } catch (err) {
    // A worker that failed to start must not leave its model server (own process group) running.
    await app?.close().catch(() => undefined);
    await driver.close();
    await ocr?.close().catch(() => undefined);
    unfollow();
    await control.close();
    hub.close();
    redis.disconnect();
    throw err;
  }
  const started = app;
  return {
    server,
    healthUrl: observability.healthUrl,
    modelServer: () => driver.view(),
    async close() {
      await started.close();
      // After the scheduler drained: no orphan server outlives its worker.
      await driver.close();
      await serverInspector.close();
      await observability.close();
      await ocr?.close();
      unfollow();
      await control.close();
      await producer.disconnect();
      hub.close();
      redis.disconnect();
    },
  };
}
