import { randomUUID } from 'node:crypto';
import type { RunningGateway } from '../apps/gateway/src/gateway.bootstrap';
import type { QueueView } from '../apps/gateway/src/admin/queue-view';
import type { RunningWorker } from '../apps/worker/src/worker.bootstrap';
import { getJson } from './support/operations';
import { chatBody, createStack, submitChat, waitFor, waitTerminal, type TestStack } from './support/stack';

/**
 * `/admin/queue/{model}`: the backlog is read from Kafka (the worker group's uncommitted
 * messages), running jobs and capacity from the workers' heartbeats, totals from Postgres.
 */
describe('GET /admin/queue/{model}', () => {
  let stack: TestStack;
  let gw: RunningGateway;
  /**
   * The queue view. A 503 `queue_unavailable` (Kafka slower than the route's 2 s budget, as on a
   * loaded CI box) is the documented transient answer, so it is asked again; any other answer is
   * returned as it is.
   */
  const queue = async (model: string, headers = stack.adminAuth()) => {
    for (let attempt = 1; ; attempt++) {
      const res = await getJson<QueueView & { code?: string }>(`${gw.url}/admin/queue/${model}`, headers);
      if (res.status !== 503 || res.body.code !== 'queue_unavailable' || attempt === 5) return res;
      await new Promise((r) => setTimeout(r, 500));
    }
  };

  beforeAll(async () => {
    // 16 tokens at 150 ms each: a job runs for about 2.4 s, long enough to be seen running.
    stack = await createStack({ sim: { itlMs: 150 } });
    gw = await stack.startGateway();
    await stack.startRecorder();
  });
  afterAll(() => stack?.stop());

  let worker: RunningWorker;
  const split = { high: 3, normal: 5, low: 2 } as const;
  const ids: string[] = [];

  it('matches a known backlog exactly, per priority, with no worker running', async () => {
    const before = await queue('gemma');
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ model: 'gemma', waiting: 0, backlog: 0, processing: 0, workers: 0, max_concurrent: 0, utilization: 0 });

    for (const [priority, n] of Object.entries(split)) {
      for (let i = 0; i < n; i++) {
        const res = await submitChat(gw.url, chatBody(`queue ${priority} ${i} ${randomUUID()}`), stack.auth('queue-app', { 'x-priority': priority }));
        expect(res.status).toBe(202);
        ids.push(res.body.request_id as string);
      }
    }
    const { status, body } = await queue('gemma');
    expect(status).toBe(200);
    expect(body).toEqual({
      model: 'gemma',
      pool: 'gemma',
      processing: 0,
      waiting: 10,
      waiting_by_priority: { high: 3, normal: 5, low: 2 },
      backlog: 10,
      oldest_waiting_age_seconds: expect.anything(),
      max_concurrent: 0,
      max_waiting: 10000,
      workers: 0,
      total_processed: 0,
      total_failed: 0,
      total_timeout: 0,
      utilization: 0,
    });
    // The age comes from the oldest `queued` row, once the recorder has written the rows.
    const aged = await waitFor(async () => {
      const v = (await queue('gemma')).body;
      return typeof v.oldest_waiting_age_seconds === 'number' ? v : null;
    }, 'the oldest waiting age');
    expect(aged.oldest_waiting_age_seconds).toBeGreaterThanOrEqual(0);
    expect(aged.oldest_waiting_age_seconds).toBeLessThan(120);
    // The other pool's queue is untouched; it answers to the reference's name `deepseek`.
    expect((await queue('deepseek')).body).toMatchObject({ model: 'deepseek', pool: 'deepseek-ocr', waiting: 0, backlog: 0 });
  });

  it('accepts model aliases of a pool', async () => {
    for (const alias of ['gemma-3-4b-it', 'google%2Fgemma-3-4b-it']) {
      const { status, body } = await queue(alias);
      expect(status).toBe(200);
      expect(body).toMatchObject({ model: 'gemma', waiting: 10 });
    }
    // The OCR pool's pool name and model name are aliases of `deepseek`.
    for (const alias of ['deepseek-ocr', 'deepseek-ai%2FDeepSeek-OCR']) expect((await queue(alias)).body).toMatchObject({ model: 'deepseek', pool: 'deepseek-ocr' });
  });

  it('answers 404 model_not_found for a model no pool serves, and needs the admin role', async () => {
    for (const name of ['gpt-4', 'GEMMA', 'DeepSeek', 'deepseek-ocr-2', '%20']) {
      const { status, body } = await queue(name);
      expect(status).toBe(404);
      expect(body.code).toBe('model_not_found');
    }
    expect((await queue('gemma', stack.auth('queue-app'))).status).toBe(403);
    expect((await queue('gemma', {})).status).toBe(401);
  });

  it('shows running jobs and capacity from worker heartbeats, then drains, with totals from Postgres', async () => {
    // One job fails at once (the backend rejects it), one times out (the backend never answers).
    const rejected = await submitChat(gw.url, chatBody(`[[sim:fail=400:1]] rejected ${randomUUID()}`), stack.auth('queue-app'));
    const hung = await submitChat(gw.url, chatBody(`[[sim:hang]] ${randomUUID()}`), stack.auth('queue-app', { 'x-priority': 'low' }));
    worker = await stack.startWorker({ WORKER_MAX_CONCURRENT: '2', WORKER_MAX_ATTEMPTS: '1', WORKER_REQUEST_TIMEOUT_MS: '4000' });

    const busy = await waitFor(async () => {
      const v = (await queue('gemma')).body;
      return v.workers === 1 && v.processing === 2 ? v : null;
    }, 'two jobs running on one worker');
    expect(busy).toMatchObject({ max_concurrent: 2, utilization: 1 });
    expect(busy.waiting + busy.processing).toBeLessThanOrEqual(busy.backlog);
    expect(busy.waiting).toBeGreaterThan(0);

    await Promise.all([...ids, rejected.body.request_id as string, hung.body.request_id as string].map((id) => waitTerminal(gw.url, id, 60_000)));
    const done = await waitFor(async () => {
      const v = (await queue('gemma')).body;
      return v.total_processed === 12 && v.waiting === 0 && v.processing === 0 ? v : null;
    }, 'the queue to drain and the totals to be recorded', 60_000);
    expect(done).toMatchObject({ backlog: 0, total_failed: 2, total_timeout: 1, workers: 1, oldest_waiting_age_seconds: null, utilization: 0 });
  });

  it('counts only live workers: a stopped worker leaves at once, a silent one after its heartbeat expires', async () => {
    // A report last written a minute ago: a worker that died without saying so.
    const stale = { id: 'ghost', pool: 'gemma', in_flight: 5, in_flight_by_priority: { high: 5, normal: 0, low: 0 }, max_concurrent: 8, max_waiting: 64, waiting: { high: 0, normal: 0, low: 0 }, dispatching: true, at: Date.now() - 60_000 };
    await stack.redis.hset('workers:gemma', 'ghost', JSON.stringify(stale));
    expect((await queue('gemma')).body).toMatchObject({ workers: 1, processing: 0, max_concurrent: 2 });
    expect(await stack.redis.hexists('workers:gemma', 'ghost')).toBe(0);

    await worker.close();
    expect((await queue('gemma')).body).toMatchObject({ workers: 0, max_concurrent: 0, utilization: 0 });
  });
});
