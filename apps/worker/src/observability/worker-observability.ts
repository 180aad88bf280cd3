import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Logger, type LoggerService } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { WorkerEnv } from '@gantry/config';
import { PRIORITIES, Topics } from '@gantry/contracts';
import { startHealthServer, type HealthServer } from '@gantry/health';
import { KafkaInspector, watchConsumerLag, type GantryKafkaServer, type TopicNamer } from '@gantry/kafka';
import { registerSchedulerSource } from '@gantry/metrics';
import { createRedis, WorkerRegistry, type WorkerReport } from '@gantry/redis';

export interface WorkerObservability {
  id: string;
  /** URL of the worker's own health/metrics server; null when HEALTH_PORT is 0. */
  healthUrl: string | null;
  close(): Promise<void>;
}

/**
 * What operators see of a worker: its scheduler in `/metrics` (in-flight, waiting, its group's
 * lag), a heartbeat in Redis that the gateway's `/admin/queue` sums over replicas, and
 * `/health`, `/health/ready`, `/metrics` on HEALTH_PORT.
 */
export async function startWorkerObservability(opts: {
  env: WorkerEnv;
  server: GantryKafkaServer;
  kafka: Kafka;
  namer: TopicNamer;
  /** Checked by readiness; undefined for an in-process engine (tesseract). */
  backendUrl?: string;
  /** The model server's driver and state, for the heartbeat. */
  modelServer?: () => Pick<WorkerReport, 'driver' | 'server'>;
  logger?: LoggerService;
}): Promise<WorkerObservability> {
  const { env, server, kafka, namer } = opts;
  const pool = env.WORKER_POOL;
  const log = new Logger('WorkerObservability');
  const id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const startedAt = Date.now();
  const redis = createRedis(env);
  const registry = new WorkerRegistry(redis);
  const inspector = new KafkaInspector(kafka, namer);
  const stops = [
    registerSchedulerSource(pool, () => server.stats()),
    watchConsumerLag(inspector, namer, `gantry.worker.${pool}`, PRIORITIES.map((p) => Topics.jobs(pool, p))),
  ];

  let failing = false;
  const beat = async () => {
    const s = server.stats();
    const report: WorkerReport = {
      id,
      pool,
      in_flight: s.inFlight,
      in_flight_by_priority: s.inFlightByPriority,
      max_concurrent: s.maxConcurrent,
      max_waiting: s.maxWaiting,
      waiting: s.waiting,
      dispatching: s.dispatching,
      started_at: startedAt,
      at: Date.now(),
      ...opts.modelServer?.(),
    };
    try {
      await registry.report(report);
      if (failing) log.log({ msg: 'heartbeat written again' });
      failing = false;
    } catch (err) {
      // The heartbeat only feeds the admin view; jobs run whether Redis answers or not.
      if (!failing) log.warn({ msg: 'heartbeat not written', err: String(err) });
      failing = true;
    }
  };
  await beat();
  const timer = setInterval(() => void beat(), WorkerRegistry.HEARTBEAT_MS);
  timer.unref();

  let health: HealthServer | null = null;
  if (env.HEALTH_PORT > 0) {
    health = await startHealthServer({
      port: env.HEALTH_PORT,
      host: env.HEALTH_HOST,
      readiness: { redis, kafka: inspector, backends: opts.backendUrl ? { [pool]: opts.backendUrl } : {} },
      logger: opts.logger,
    }).catch(async (err: unknown) => {
      clearInterval(timer);
      stops.forEach((stop) => stop());
      redis.disconnect();
      throw err;
    });
  }

  return {
    id,
    healthUrl: health?.url ?? null,
    async close() {
      clearInterval(timer);
      stops.forEach((stop) => stop());
      await health?.close();
      await registry.remove(pool, id).catch(() => undefined);
      await inspector.close();
      redis.disconnect();
    },
  };
}
