import { randomUUID } from 'node:crypto';
import { Topics, type JobEvent, type PoolControlState, type Priority } from '@gantry/contracts';
import type { RunningGateway } from '../apps/gateway/src/gateway.bootstrap';
import type { PoolView } from '../apps/gateway/src/admin/pool-view';
import type { QueueView } from '../apps/gateway/src/admin/queue-view';
import type { RunningRecorder } from '../apps/recorder/src/recorder.bootstrap';
import type { RunningWorker } from '../apps/worker/src/worker.bootstrap';
import { call } from './support/http';
import { expectOneResultEach as expectOneResult, TopicReader } from './support/kafka-helpers';
import { getJson } from './support/operations';
import { chatBody, createStack, getJob, submitChat, waitFor, type TestStack } from './support/stack';

type Pools = Record<string, PoolView>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Pool control (`/admin/models`, issue 7): the desired state goes through the compacted control
 * topic to every worker replica. Stopping never loses a job: a graceful stop lets running jobs
 * finish, a forced one puts them back in the queue, and the state survives restarts.
 */
describe('/admin/models: starting and stopping pools', () => {
  let stack: TestStack;
  let gw: RunningGateway;
  let worker: RunningWorker;
  let recorder: RunningRecorder;
  let events: TopicReader<JobEvent>;
  const workerEnv = { WORKER_MAX_CONCURRENT: '2' };

  const models = () => getJson<Pools>(`${gw.url}/admin/models`, stack.adminAuth());
  const post = (path: string, headers = stack.adminAuth()) => call(gw.url, 'POST', path, headers);
  const gemma = async () => (await models()).body.gemma;
  const queue = async () => (await getJson<QueueView>(`${gw.url}/admin/queue/gemma`, stack.adminAuth())).body;
  const waitStatus = (status: PoolView['status'], what = `gemma to be ${status}`) =>
    waitFor(async () => {
      const v = await gemma();
      return v.status === status ? v : null;
    }, what);
  const submit = async (n: number, label: string, priority: Priority = 'normal'): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const res = await submitChat(gw.url, chatBody(`${label} ${i} ${randomUUID()}`), stack.auth('pools-app', { 'x-priority': priority }));
      expect(res.status).toBe(202);
      ids.push(res.body.request_id as string);
    }
    return ids;
  };
  const statuses = async (ids: string[]) => Promise.all(ids.map(async (id) => (await getJob(gw.url, id)).body.status));
  const controlState = async (): Promise<PoolControlState | undefined> => {
    const reader = await TopicReader.start<PoolControlState>(stack, Topics.control);
    try {
      await sleep(1_000);
      return reader.values((v) => v.pool === 'gemma').at(-1);
    } finally {
      await reader.stop();
    }
  };
  /** Every job succeeded, with one row, and exactly one `succeeded` event (one result). */
  const expectOneResultEach = (ids: string[]) => expectOneResult(stack, gw.url, events, ids);

  beforeAll(async () => {
    // 16 tokens at 150 ms each: a job runs about 2.4 s, long enough to stop the pool under it.
    stack = await createStack({ sim: { itlMs: 150 } });
    gw = await stack.startGateway();
    recorder = await stack.startRecorder();
    worker = await stack.startWorker(workerEnv);
    events = await TopicReader.start<JobEvent>(stack, Topics.jobEvents);
  });
  afterAll(async () => {
    await events?.stop();
    await stack?.stop();
  });

  it('lists every pool with the reference fields, its backend, workers and desired state', async () => {
    const v = await waitStatus('running');
    expect(v).toEqual({
      name: 'gemma',
      pool: 'gemma',
      status: 'running',
      desired: 'running',
      stop_mode: null,
      port: stack.sim.port,
      started_at: expect.any(String),
      uptime_seconds: expect.any(Number),
      stopped_at: null,
      resolution: null,
      is_healthy: true,
      engine: 'vllm',
      backend_url: stack.sim.url,
      backend_healthy: true,
      workers: 1,
      in_flight: 0,
      driver: 'external',
      server: null,
    });
    expect(Date.parse(v.started_at!)).toBeLessThanOrEqual(Date.now());
    // Keyed by the reference's names; no OCR worker runs in this stack: the pool is meant to run but nothing serves it.
    const all = (await models()).body;
    expect(Object.keys(all).sort()).toEqual(['deepseek', 'gemma']);
    const ocr = all.deepseek;
    expect(ocr).toMatchObject({ name: 'deepseek', pool: 'deepseek-ocr', status: 'no_workers', desired: 'running', workers: 0, is_healthy: false, resolution: 'large', engine: 'tesseract', backend_url: null });
  });

  it('refuses bad input with stable codes and changes nothing', async () => {
    for (const name of ['gpt-4', 'GEMMA', 'deepseek-ocr-2', '%20']) {
      for (const action of ['start', 'stop']) {
        const res = await post(`/admin/models/${name}/${action}`);
        expect(res.status).toBe(404);
        expect(res.body.code).toBe('model_not_found');
      }
    }
    for (const graceful of ['yes', '0', 'maybe', 'true&graceful=false']) {
      const res = await post(`/admin/models/gemma/stop?graceful=${graceful}`);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'invalid_request', errors: ['graceful: must be true or false'] });
    }
    expect((await post('/admin/models/deepseek/start?resolution=huge')).body.code).toBe('invalid_resolution');
    expect((await post('/admin/models/gemma/start?resolution=tiny')).body.code).toBe('invalid_request');
    // Admins only.
    expect((await post('/admin/models/gemma/stop', stack.auth('pools-app'))).status).toBe(403);
    expect((await post('/admin/models/gemma/stop', {})).status).toBe(401);
    expect((await getJson(`${gw.url}/admin/models`, stack.auth('pools-app'))).status).toBe(403);
    // Nothing was written: the pool was never stopped.
    expect(await controlState()).toBeUndefined();
    expect((await gemma()).status).toBe('running');
  });

  it('accepts the reference name "deepseek" for the OCR pool, and start?resolution= sets its default', async () => {
    const stop = await post('/admin/models/deepseek/stop');
    expect(stop).toMatchObject({ status: 200, body: { status: 'stopped', model: 'deepseek', graceful: true } });
    expect((await models()).body.deepseek).toMatchObject({ status: 'stopped', desired: 'stopped', stop_mode: 'graceful', stopped_at: expect.any(String) });
    const start = await post('/admin/models/deepseek/start?resolution=gundam');
    expect(start).toMatchObject({ status: 200, body: { status: 'started', model: 'deepseek' } });
    expect((await models()).body.deepseek).toMatchObject({ desired: 'running', resolution: 'gundam', stopped_at: null });
    // The pool name stays an alias: the same pool, answered with the reference's name.
    expect(await post('/admin/models/deepseek-ocr/stop?graceful=true')).toMatchObject({ status: 200, body: { status: 'stopped', model: 'deepseek' } });
    expect(await post('/admin/models/deepseek-ocr/start')).toMatchObject({ status: 200, body: { status: 'started', model: 'deepseek' } });
    expect((await models()).body.deepseek).toMatchObject({ desired: 'running', resolution: 'gundam' });
    // The gemma pool was not touched.
    expect((await gemma()).desired).toBe('running');
  });

  it('graceful stop: running jobs finish, no new job starts, restarts keep it stopped, start drains the backlog', async () => {
    const first = await submit(6, 'graceful');
    await waitFor(async () => stack.sim.stats().running === 2 || null, 'two jobs running on the simulator');

    const res = await post('/admin/models/gemma/stop?graceful=true');
    expect(res).toMatchObject({ status: 200, body: { status: 'stopped', model: 'gemma', graceful: true } });
    // `stopped` once the worker has applied the stop and its running jobs have finished.
    const stopped = await waitStatus('stopped');
    expect(stopped).toMatchObject({ desired: 'stopped', stop_mode: 'graceful', in_flight: 0, workers: 1, started_at: null });
    expect(stack.sim.stats().aborted).toBe(0);
    // The recorder has written the outcomes of the jobs that were running.
    const settled = await waitFor(async () => {
      const s = await statuses(first);
      return s.includes('running') ? null : s;
    }, 'the finished jobs to be recorded');
    const finished = settled.filter((s) => s === 'succeeded').length;
    expect(finished).toBeGreaterThanOrEqual(2);
    expect(finished).toBeLessThan(6);

    // Nothing new reaches the backend while the pool is stopped, including jobs submitted now.
    const received = stack.sim.stats().received;
    const second = [...(await submit(2, 'while-stopped-high', 'high')), ...(await submit(1, 'while-stopped', 'normal')), ...(await submit(3, 'while-stopped-low', 'low'))];
    await sleep(2_000);
    expect(stack.sim.stats().received).toBe(received);
    const left = 6 - finished;
    expect((await statuses([...first, ...second])).filter((s) => s === 'queued')).toHaveLength(left + 6);
    // The queue shows exactly that backlog (Kafka lag of the pool's group), per priority, while the
    // worker is alive but paused: nothing runs, everything waits.
    expect(await queue()).toMatchObject({
      model: 'gemma',
      workers: 1,
      processing: 0,
      backlog: left + 6,
      waiting: left + 6,
      waiting_by_priority: { high: 2, normal: left + 1, low: 3 },
      oldest_waiting_age_seconds: expect.any(Number),
      utilization: 0,
    });
    expect(await controlState()).toMatchObject({ pool: 'gemma', paused: true, stop_mode: 'graceful', changed_at: expect.any(String) });

    // Restart the worker, the gateway and the recorder: the pool is still stopped and nothing runs.
    await worker.close();
    await gw.close();
    await recorder.close();
    gw = await stack.startGateway();
    recorder = await stack.startRecorder();
    worker = await stack.startWorker(workerEnv);
    expect((await gemma()).desired).toBe('stopped');
    await waitFor(async () => {
      const v = await gemma();
      return v.workers === 1 && v.status === 'stopped' ? v : null;
    }, 'the restarted worker to report in, stopped');
    await sleep(2_000);
    expect(stack.sim.stats().received).toBe(received);

    // Start: the backlog drains, every job once.
    const started = await post('/admin/models/gemma/start');
    expect(started).toMatchObject({ status: 200, body: { status: 'started', model: 'gemma' } });
    await expectOneResultEach([...first, ...second]);
    expect(stack.sim.stats().received).toBe(received + left + 6);
    const running = await waitStatus('running');
    expect(Date.parse(running.started_at!)).toBeGreaterThanOrEqual(Date.parse(stopped.stopped_at!));
  });

  it('forced stop: running jobs are aborted upstream, wait in the queue, and run again after start with one result each', async () => {
    const ids = await submit(4, 'forced');
    await waitFor(async () => stack.sim.stats().running === 2 || null, 'two jobs running on the simulator');
    const aborted = stack.sim.stats().aborted;

    const res = await post('/admin/models/gemma/stop?graceful=FALSE');
    expect(res).toMatchObject({ status: 200, body: { status: 'stopped', model: 'gemma', graceful: false } });
    await waitFor(async () => stack.sim.stats().aborted >= aborted + 2 || null, 'the running jobs to be aborted upstream');
    expect(await waitStatus('stopped')).toMatchObject({ stop_mode: 'forced', in_flight: 0 });
    // None of them finished: the aborted ones went back to the queue.
    expect((await statuses(ids)).filter((s) => s === 'succeeded' || s === 'failed')).toEqual([]);
    const received = stack.sim.stats().received;
    await sleep(2_000);
    expect(stack.sim.stats().received).toBe(received);

    await post('/admin/models/gemma/start');
    await expectOneResultEach(ids);
    // The two interrupted jobs reached the backend twice, the others once.
    const bodies = stack.sim.stats().requests.map((r) => JSON.stringify(r.body));
    const hits = ids.map((_, i) => bodies.filter((b) => b.includes(`forced ${i} `)).length);
    expect(hits.sort()).toEqual([1, 1, 2, 2]);
    expect(stack.sim.stats().received).toBe(received + 4);
  });

  it('two worker replicas: a stop reaches both (neither takes a job), a start drains the backlog on both, one result each', async () => {
    const second = await stack.startWorker(workerEnv);
    try {
      // Both replicas are members of the pool's group, each owning its share of the partitions.
      await waitFor(async () => {
        const admin = stack.kafka.admin();
        await admin.connect();
        try {
          const { groups } = await admin.describeGroups([stack.namer.group('gantry.worker.gemma')]);
          return groups[0]?.state === 'Stable' && groups[0].members.length === 2 && groups[0].members.every((m) => m.memberAssignment.length > 0);
        } finally {
          await admin.disconnect();
        }
      }, 'both replicas in the group with partitions', 60_000, 250);
      await waitFor(async () => {
        const v = await gemma();
        return v.workers === 2 && v.status === 'running' ? v : null;
      }, 'two live workers, running');

      expect(await post('/admin/models/gemma/stop?graceful=true')).toMatchObject({ status: 200, body: { status: 'stopped', model: 'gemma' } });
      // `stopped` only once every live replica has applied the stop.
      expect(await waitStatus('stopped')).toMatchObject({ workers: 2, in_flight: 0 });
      const received = stack.sim.stats().received;
      const ids = await submit(10, 'replicas');
      await sleep(2_000);
      expect(stack.sim.stats().received).toBe(received);
      expect((await statuses(ids)).every((s) => s === 'queued')).toBe(true);
      expect(await queue()).toMatchObject({ workers: 2, processing: 0, waiting: 10, waiting_by_priority: { high: 0, normal: 10, low: 0 } });

      await post('/admin/models/gemma/start');
      // Each replica runs at most 2 at once (WORKER_MAX_CONCURRENT): 3 or more running means both take jobs again.
      await waitFor(async () => stack.sim.stats().running >= 3 || null, 'both replicas running jobs', 30_000, 20);
      await expectOneResultEach(ids);
      expect(stack.sim.stats().received).toBe(received + 10);
    } finally {
      await second.close();
    }
  });
});
