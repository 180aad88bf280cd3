import { randomBytes, randomUUID } from 'node:crypto';
import { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import Redis from 'ioredis';
import { Logger } from '@nestjs/common';
import { DatabaseEnv, GatewayEnv, loadEnv, RecorderEnv, WorkerEnv, WebhooksEnv } from '@gantry/config';
import { JsonLogger } from '@gantry/common';
import { dataSourceOptions, migrate } from '@gantry/db';
import { DataSource } from 'typeorm';
import { createKafka, ensureTopics, TopicNamer } from '@gantry/kafka';
import type { JobView } from '@gantry/contracts';
import { signAccessToken } from '../../apps/gateway/src/auth/jwt';
import { bootstrapGateway, type RunningGateway } from '../../apps/gateway/src/gateway.bootstrap';
import { bootstrapRecorder, type RunningRecorder } from '../../apps/recorder/src/recorder.bootstrap';
import { bootstrapWebhooks, type RunningWebhooks } from '../../apps/webhooks/src/webhooks.bootstrap';
import { startSimulator, type SimOptions, type Simulator } from '../../apps/vllm-sim/src/simulator';
import { bootstrapWorker, type RunningWorker } from '../../apps/worker/src/worker.bootstrap';

/**
 * An isolated slice of the real local stack for one test file: its own Postgres schema, Kafka
 * topic prefix and Redis key prefix on the shared servers, plus a vLLM simulator on a free port.
 * Nothing here is mocked.
 */
export interface TestStack {
  id: string;
  /** Environment every app of this stack reads (prefixes, schema, backend URL). */
  env: Record<string, string>;
  sim: Simulator;
  kafka: Kafka;
  namer: TopicNamer;
  pg: Pool;
  redis: Redis;
  /**
   * Request headers that identify `clientId` to the gateway (plus `extra`). Every test builds its
   * requests' identity through here, so the way clients authenticate can change in one place.
   */
  auth(clientId: string, extra?: Record<string, string>): Record<string, string>;
  /** Headers of an admin (no X-Client-ID: add one with `extra` to act for a client). */
  adminAuth(extra?: Record<string, string>): Record<string, string>;
  /** A signed access token with this stack's secret (role client unless said; `expiresIn` may be negative). */
  accessToken(opts: { clientId?: string; role?: 'admin' | 'client'; sub?: string; sessionId?: string; expiresIn?: number }): string;
  startGateway(overrides?: Record<string, string>): Promise<RunningGateway>;
  startWorker(overrides?: Record<string, string>): Promise<RunningWorker>;
  startRecorder(overrides?: Record<string, string>): Promise<RunningRecorder>;
  startWebhooks(overrides?: Record<string, string>): Promise<RunningWebhooks>;
  /** Everything started through this stack (gateway, worker, recorder, sim), then the data. */
  stop(): Promise<void>;
}

const logger = process.env.TEST_LOG ? new JsonLogger('debug') : undefined;
if (!logger) Logger.overrideLogger(false);

export async function createStack(opts: { sim?: SimOptions; env?: Record<string, string> } = {}): Promise<TestStack> {
  const id = `t${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const sim = await startSimulator({ port: 0, ...opts.sim });
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG ? 'debug' : 'warn',
    KAFKA_TOPIC_PREFIX: `${id}.`,
    KAFKA_JOB_PARTITIONS: '2',
    DATABASE_SCHEMA: `test_${id}`,
    REDIS_PREFIX: `${id}:`,
    GEMMA_BACKEND_URL: sim.url,
    PORT: '0',
    HOST: '127.0.0.1',
    WORKER_RETRY_BASE_MS: '50',
    WORKER_RETRY_MAX_MS: '500',
    // Several stacks share one machine: a worker or recorder serves its own health port only when a test asks.
    HEALTH_PORT: '0',
    // Auth (issue 6): a per-stack signing secret, so the harness can mint access tokens itself.
    GANTRY_JWT_SECRET: randomBytes(32).toString('hex'),
    // Suites that are not about quotas submit bursts; the rate-limit tests set their own limits.
    RATE_LIMIT_REQUESTS_PER_MINUTE: '1000000',
    RATE_LIMIT_BURST: '100000',
    RATE_LIMIT_TOKENS_PER_MINUTE: '1000000000',
    RATE_LIMIT_MAX_CONCURRENT_JOBS: '0',
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    AUTH_RATE_LIMIT_BURST: '100000',
    ...opts.env,
  };
  const source = (overrides: Record<string, string> = {}) => ({ ...process.env, ...env, ...overrides });
  const base = loadEnv(GatewayEnv, source());
  await migrate(base);
  const namer = new TopicNamer(base.KAFKA_TOPIC_PREFIX);
  const kafka = createKafka(base, `test-${id}`);
  await ensureTopics(kafka, namer, base.KAFKA_JOB_PARTITIONS);
  const pg = new Pool({ connectionString: base.DATABASE_URL, max: 2, options: `-c search_path=${base.DATABASE_SCHEMA}` });
  const redis = new Redis(base.REDIS_URL, { keyPrefix: base.REDIS_PREFIX });

  const accessToken: TestStack['accessToken'] = ({ clientId, role = 'client', sub, sessionId, expiresIn = 3600 }) => {
    const iat = Math.floor(Date.now() / 1000);
    return signAccessToken(
      { iss: 'gantry', typ: 'access', sub: sub ?? `test-user:${clientId ?? 'admin'}`, role, ...(clientId ? { cid: clientId } : {}), ...(sessionId ? { sid: sessionId } : {}), iat, exp: iat + expiresIn },
      env.GANTRY_JWT_SECRET,
    );
  };
  const adminSub = randomUUID();
  const adminAuth = (extra: Record<string, string> = {}) => ({ authorization: `Bearer ${accessToken({ role: 'admin', sub: adminSub })}`, ...extra });

  const running: Array<{ close(): Promise<void> }> = [];
  const track = <T extends { close(): Promise<void> }>(x: T) => (running.push(x), x);

  return {
    id,
    env,
    sim,
    kafka,
    namer,
    pg,
    redis,
    auth: (clientId, extra = {}) => ({ authorization: `Bearer ${accessToken({ clientId })}`, 'x-client-id': clientId, ...extra }),
    adminAuth,
    accessToken,
    startGateway: async (o) => {
      const gw = track(await bootstrapGateway(loadEnv(GatewayEnv, source(o)), logger));
      pollIdentity.set(gw.url, () => adminAuth());
      return gw;
    },
    startWorker: async (o) => track(await bootstrapWorker(loadEnv(WorkerEnv, source(o)), logger)),
    startRecorder: async (o) => track(await bootstrapRecorder(loadEnv(RecorderEnv, source(o)), logger)),
    startWebhooks: async (o) => track(await bootstrapWebhooks(loadEnv(WebhooksEnv, source(o)), logger)),
    async stop() {
      for (const r of running.reverse()) await r.close().catch(() => undefined);
      await sim.close();
      await pg.query(`DROP SCHEMA IF EXISTS "${base.DATABASE_SCHEMA}" CASCADE`).catch(() => undefined);
      await pg.end();
      const keys = await redis.keys(`${base.REDIS_PREFIX}*`);
      if (keys.length) await redis.del(...keys.map((k) => k.slice(base.REDIS_PREFIX.length)));
      redis.disconnect();
      const admin = kafka.admin();
      await admin.connect();
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(base.KAFKA_TOPIC_PREFIX));
      await admin.deleteTopics({ topics }).catch(() => undefined);
      await admin.disconnect();
    },
  };
}

/** A TypeORM data source on the stack's schema, for tests of a repository on its own; destroy it after. */
export function openDataSource(stack: TestStack): Promise<DataSource> {
  return new DataSource(dataSourceOptions(loadEnv(DatabaseEnv, stack.env))).initialize();
}

export async function waitFor<T>(fn: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface SubmitResult {
  status: number;
  body: Record<string, unknown>;
}

export async function submitChat(baseUrl: string, body: unknown, headers: Record<string, string>): Promise<SubmitResult> {
  const res = await fetch(`${baseUrl}/api/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export function chatBody(content: string, extra: Record<string, unknown> = {}) {
  return { model: 'gemma-3-4b-it', messages: [{ role: 'user', content }], max_tokens: 16, ...extra };
}

/** Identity polling helpers use when given no headers: the admin of the stack that started the gateway. */
const pollIdentity = new Map<string, () => Record<string, string>>();

export async function getJob(baseUrl: string, id: string, headers?: Record<string, string>): Promise<{ status: number; body: JobView & Record<string, unknown> }> {
  const res = await fetch(`${baseUrl}/api/jobs/${id}`, { headers: headers ?? pollIdentity.get(baseUrl)?.() ?? {} });
  return { status: res.status, body: (await res.json()) as JobView & Record<string, unknown> };
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled', 'expired']);

export function waitTerminal(baseUrl: string, id: string, timeoutMs = 30_000, headers?: Record<string, string>): Promise<JobView> {
  return waitFor(async () => {
    const { body } = await getJob(baseUrl, id, headers);
    return TERMINAL.has(body.status) ? body : null;
  }, `job ${id} to finish`, timeoutMs);
}

/** Sum of the latest offsets of the given logical topics (how many messages were ever produced). */
export async function producedCount(stack: TestStack, topics: string[]): Promise<number> {
  const admin = stack.kafka.admin();
  await admin.connect();
  try {
    let n = 0;
    for (const t of topics) {
      for (const p of await admin.fetchTopicOffsets(stack.namer.topic(t))) n += Number(p.high) - Number(p.low);
    }
    return n;
  } finally {
    await admin.disconnect();
  }
}
