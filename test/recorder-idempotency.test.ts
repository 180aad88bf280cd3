import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadEnv, RecorderEnv } from '@gantry/config';
import { Topics, type JobEvent, type JobEventType, type JobMessage, type JobView } from '@gantry/contracts';
import { JobsRepository } from '@gantry/db';
import { createKafka, GantryProducer, TopicNamer, type ConsumedMessage } from '@gantry/kafka';
import { createRedis } from '@gantry/redis';
import type { Redis } from 'ioredis';
import { RecorderService } from '../apps/recorder/src/jobs/recorder.service';
import { RecorderModule } from '../apps/recorder/src/recorder.module';
import { jobEvent, jobMessage } from './support/kafka-helpers';
import { createStack, type TestStack } from './support/stack';

/**
 * The recorder's materialisation against real Postgres and Redis, driven directly with
 * hand-built batches (no Kafka consumption): replays, reordering and duplicates must all
 * converge on the same row and the same hot copy.
 */
describe('recorder idempotency and ordering', () => {
  let stack: TestStack;
  let app: INestApplicationContext;
  let redis: Redis;
  let producer: GantryProducer;
  let recorder: RecorderService;
  let repo: JobsRepository;
  let offset = 0;

  beforeAll(async () => {
    stack = await createStack();
    const env = loadEnv(RecorderEnv, { ...process.env, ...stack.env });
    redis = createRedis(env);
    // Webhook deliveries go to Kafka; these jobs have none, but the module needs its producer.
    producer = new GantryProducer(createKafka(env, 'idempotency-test'), new TopicNamer(env.KAFKA_TOPIC_PREFIX));
    await producer.connect();
    app = await NestFactory.createApplicationContext(RecorderModule.forRoot(env, redis, producer), { logger: false });
    recorder = app.get(RecorderService);
    repo = app.get(JobsRepository);
  });
  afterAll(async () => {
    await app?.close();
    await producer?.disconnect();
    redis?.disconnect();
    await stack?.stop();
  });

  function consumed<T extends JobMessage | JobEvent>(value: T, topic: string): ConsumedMessage<T> {
    return { value, topic, partition: 0, offset: String(offset++), key: value.request_id, headers: { 'content-type': 'application/json' }, timestamp: Date.now() };
  }
  const submitted = (...jobs: JobMessage[]) => jobs.map((j) => consumed(j, Topics.jobs(j.pool, j.priority)));
  const events = (...evs: JobEvent[]) => evs.map((e) => consumed(e, Topics.jobEvents));

  /** The full row as JSON, without `updated_at` (the only column a replay may touch). */
  async function row(id: string): Promise<Record<string, unknown> | undefined> {
    const { rows } = await stack.pg.query(`SELECT to_jsonb(j) - 'updated_at' AS r FROM jobs j WHERE request_id = $1`, [id]);
    return rows[0]?.r as Record<string, unknown> | undefined;
  }

  async function hot(id: string): Promise<{ rank: string; view: JobView } | null> {
    const raw = await stack.redis.get(`job:${id}`);
    return raw === null ? null : { rank: raw.slice(0, 1), view: JSON.parse(raw.slice(1)) as JobView };
  }

  /** A realistic timeline for one job: submitted at T0, then worker events. */
  function timeline(t0 = Date.parse('2024-06-01T08:00:00.000Z')) {
    const at = (s: number) => new Date(t0 + s * 1000).toISOString();
    const job = jobMessage({ created_at: at(0), client_id: 'rec-tests', priority: 'high' });
    const result = { id: `cmpl-${job.request_id}`, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'fine' }, finish_reason: 'stop' }] };
    const usage = { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 };
    const ev = (type: JobEventType, s: number, attempt: number, extra: Partial<JobEvent> = {}) => jobEvent(job, type, { at: at(s), attempt, backend: 'http://sim', ...extra });
    const error = { code: 'backend_error', message: 'backend error (500): boom', status: 500 };
    return {
      job,
      at,
      result,
      usage,
      error,
      accepted: ev('accepted', 0.1, 0),
      started1: ev('started', 1, 1),
      progress: ev('progress', 1.5, 1),
      retrying1: ev('retrying', 2, 1, { error }),
      started2: ev('started', 3, 2),
      succeeded2: ev('succeeded', 5, 2, { result, usage }),
      // A replay of the job (e.g. after a worker crash) ending differently.
      failedLate: ev('failed', 7, 1, { error: { code: 'backend_rejected', message: 'late failure', status: 400 } }),
    };
  }

  it('applying the same batches twice (in either order) leaves identical rows and hot copies', async () => {
    const a = timeline();
    const b = timeline(Date.parse('2024-06-01T09:00:00.000Z'));
    const jobsBatch = submitted(a.job, b.job);
    const eventsBatch = events(a.accepted, a.started1, b.started1, a.retrying1, a.started2, b.retrying1, a.succeeded2);

    await recorder.recordSubmitted(jobsBatch);
    await recorder.recordEvents(eventsBatch);
    const firstA = await row(a.job.request_id);
    const firstB = await row(b.job.request_id);
    const hotA = await stack.redis.get(`job:${a.job.request_id}`);
    const hotB = await stack.redis.get(`job:${b.job.request_id}`);
    expect(firstA).toMatchObject({ status: 'succeeded', status_rank: 2, attempts: 2, result: a.result, usage: a.usage, error: null, request: a.job.request });
    expect(firstB).toMatchObject({ status: 'running', status_rank: 1, attempts: 1, result: null, error: null, finished_at: null, request: b.job.request });

    await recorder.recordSubmitted(jobsBatch);
    await recorder.recordEvents(eventsBatch);
    expect(await row(a.job.request_id)).toEqual(firstA);
    expect(await row(b.job.request_id)).toEqual(firstB);

    await recorder.recordEvents(eventsBatch);
    await recorder.recordSubmitted(jobsBatch);
    expect(await row(a.job.request_id)).toEqual(firstA);
    expect(await row(b.job.request_id)).toEqual(firstB);

    expect(await stack.redis.get(`job:${a.job.request_id}`)).toBe(hotA);
    expect(await stack.redis.get(`job:${b.job.request_id}`)).toBe(hotB);
    const { rows } = await stack.pg.query('SELECT count(*)::int AS n FROM jobs WHERE request_id = ANY($1::uuid[])', [[a.job.request_id, b.job.request_id]]);
    expect(rows[0].n).toBe(2);
  });

  it('events before the job message, succeeded before started: ends succeeded with the original created_at and request', async () => {
    const t = timeline();
    const id = t.job.request_id;
    // Each arrives in its own batch, in the worst order.
    await recorder.recordEvents(events(t.succeeded2));
    expect(await row(id)).toMatchObject({ status: 'succeeded', request: null });
    await recorder.recordEvents(events(t.started2));
    await recorder.recordEvents(events(t.retrying1));
    await recorder.recordEvents(events(t.started1));
    await recorder.recordSubmitted(submitted(t.job));

    const r = await row(id);
    expect(r).toEqual({
      request_id: id,
      client_id: 'rec-tests',
      kind: 'chat',
      pool: 'gemma',
      model: 'gemma-3-4b-it',
      priority: 'high',
      status: 'succeeded',
      status_rank: 2,
      attempts: 2,
      request: t.job.request,
      result: t.result,
      error: null,
      error_stack: null,
      usage: t.usage,
      created_at: expect.any(String),
      started_at: expect.any(String),
      finished_at: expect.any(String),
      webhook: null,
      webhook_events: null,
      batch_id: null,
      from_cache: false,
    });
    const view = (await repo.findView(id))!;
    expect(view.created_at).toBe(t.job.created_at);
    expect(view.started_at).toBe(t.started1.at);
    expect(view.finished_at).toBe(t.succeeded2.at);
    expect(view.timings).toEqual({ queue_ms: 1000, run_ms: 4000, total_ms: 5000 });
  });

  it('a response-cache hit (one succeeded event with from_cache, no job message) makes one row, twice or once: no run time, from_cache in the view', async () => {
    const t = timeline();
    const hit = jobEvent(t.job, 'succeeded', { at: t.at(0), attempt: 0, result: t.result, usage: t.usage, from_cache: true });
    await recorder.recordEvents(events(hit));
    const first = await row(t.job.request_id);
    await recorder.recordEvents(events(hit, hit));
    expect(await row(t.job.request_id)).toEqual(first);
    expect(first).toMatchObject({ status: 'succeeded', attempts: 0, result: t.result, usage: t.usage, from_cache: true, request: null });
    const view = (await repo.findView(t.job.request_id))!;
    expect(view.from_cache).toBe(true);
    expect([view.created_at, view.started_at, view.finished_at]).toEqual([hit.at, hit.at, hit.at]);
    expect(view.timings).toEqual({ queue_ms: 0, run_ms: 0, total_ms: 0 });
    expect((await hot(t.job.request_id))?.view.from_cache).toBe(true);
  });

  it('a later failed after succeeded does not change the outcome (separate batches and one batch)', async () => {
    const separate = timeline();
    await recorder.recordSubmitted(submitted(separate.job));
    await recorder.recordEvents(events(separate.started1, separate.started2, separate.succeeded2));
    const before = await row(separate.job.request_id);
    await recorder.recordEvents(events(separate.failedLate));
    const after = await row(separate.job.request_id);
    expect(after).toMatchObject({ status: 'succeeded', result: separate.result, usage: separate.usage, error: null });
    expect(after).toEqual(before);

    const together = timeline();
    await recorder.recordEvents(events(together.started1, together.succeeded2, together.failedLate));
    await recorder.recordSubmitted(submitted(together.job));
    expect(await row(together.job.request_id)).toMatchObject({ status: 'succeeded', result: together.result, error: null });
    expect((await repo.findView(together.job.request_id))!.finished_at).toBe(together.succeeded2.at);

    for (const t of [separate, together]) {
      const h = await hot(t.job.request_id);
      expect(h).toMatchObject({ rank: '2', view: { status: 'succeeded', error: null, result: t.result } });
    }
  });

  it('the Redis hot copy is the row as polling shows it, with the terminal rank', async () => {
    const t = timeline();
    const id = t.job.request_id;
    await recorder.recordSubmitted(submitted(t.job));
    expect(await hot(id)).toMatchObject({ rank: '0', view: { status: 'queued', attempts: 0 } });
    await recorder.recordEvents(events(t.started1));
    expect(await hot(id)).toMatchObject({ rank: '1', view: { status: 'running', attempts: 1, started_at: t.started1.at } });
    await recorder.recordEvents(events(t.retrying1, t.started2, t.succeeded2));
    const h = await hot(id);
    expect(h!.rank).toBe('2');
    expect(h!.view).toEqual(await repo.findView(id));
    expect(h!.view).toMatchObject({ status: 'succeeded', attempts: 2, result: t.result, usage: t.usage });
    // A replayed non-terminal event afterwards does not overwrite the terminal hot copy.
    await recorder.recordEvents(events(t.started1));
    expect((await hot(id))!.view).toEqual(await repo.findView(id));
  });

  describe('job message recorded after the terminal event', () => {
    async function terminalThenJob() {
      const t = timeline();
      const id = t.job.request_id;
      await recorder.recordEvents(events(t.started1, t.succeeded2));
      await recorder.recordSubmitted(submitted(t.job));
      return { t, pgView: (await repo.findView(id))!, h: (await hot(id))! };
    }

    it('Postgres takes the submit time; the hot copy keeps the terminal outcome', async () => {
      const { t, pgView, h } = await terminalThenJob();
      expect(pgView).toMatchObject({ status: 'succeeded', created_at: t.job.created_at, timings: { queue_ms: 1000, run_ms: 4000, total_ms: 5000 } });
      expect(h.rank).toBe('2');
      expect(h.view).toMatchObject({ status: 'succeeded', attempts: 2, result: t.result, started_at: t.started1.at, finished_at: t.succeeded2.at });
    });

    // A late job message corrects created_at/timings in Postgres; the hot copy must follow, or
    // polling (Redis first) would show created_at = started_at and queue_ms 0.
    it('the hot copy equals the Postgres row (created_at and timings included)', async () => {
      const { pgView, h } = await terminalThenJob();
      expect(h.view).toEqual(pgView);
    });
  });

  it('folds several events for one job in one call (interleaved with other jobs)', async () => {
    const x = timeline();
    const y = timeline(Date.parse('2024-06-01T10:00:00.000Z'));
    const z = timeline(Date.parse('2024-06-01T11:00:00.000Z'));
    const yFailed = jobEvent(y.job, 'failed', { at: y.at(4), attempt: 2, error: y.error });
    await recorder.recordEvents(
      events(y.started1, x.accepted, x.started1, x.progress, y.retrying1, x.retrying1, z.accepted, x.started2, y.started2, x.succeeded2, yFailed, x.failedLate),
    );
    await recorder.recordSubmitted(submitted(x.job, y.job, z.job));

    expect(await row(x.job.request_id)).toMatchObject({ status: 'succeeded', attempts: 2, result: x.result, usage: x.usage, error: null });
    expect(await repo.findView(x.job.request_id)).toMatchObject({ created_at: x.job.created_at, started_at: x.started1.at, finished_at: x.succeeded2.at });
    expect(await row(y.job.request_id)).toMatchObject({ status: 'failed', attempts: 2, result: null, usage: null, error: y.error });
    expect(await repo.findView(y.job.request_id)).toMatchObject({ started_at: y.started1.at, finished_at: y.at(4) });
    expect(await row(z.job.request_id)).toMatchObject({ status: 'queued', attempts: 0, request: z.job.request, started_at: null });
    for (const [t, status] of [[x, 'succeeded'], [y, 'failed'], [z, 'queued']] as const) {
      expect((await hot(t.job.request_id))!.view.status).toBe(status);
    }
  });

  it('a batch of only progress events writes nothing', async () => {
    const t = timeline();
    await recorder.recordEvents(events(t.progress, { ...t.progress, at: t.at(2) }));
    expect(await row(t.job.request_id)).toBeUndefined();
    expect(await stack.redis.get(`job:${t.job.request_id}`)).toBeNull();
  });
});
