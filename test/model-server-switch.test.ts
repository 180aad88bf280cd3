import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Topics, type JobEvent } from '@gantry/contracts';
import type { RunningGateway } from '../apps/gateway/src/gateway.bootstrap';
import type { PoolView } from '../apps/gateway/src/admin/pool-view';
import { call } from './support/http';
import { expectOneResultEach as expectOneResult, TopicReader } from './support/kafka-helpers';
import { alive, requireBuiltSimulator, simServer, writeConfig } from './support/model-server';
import { submitOcrJson, textImage } from './support/ocr-fixtures';
import { freePort, getJson } from './support/operations';
import { chatBody, createStack, getJob, submitChat, waitFor, type TestStack } from './support/stack';

type Pools = Record<string, PoolView>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One stack per block: a gateway, a recorder, a reader of job events, and admin helpers. */
async function harness(config: Record<string, unknown>, env: Record<string, string>) {
  const stack = await createStack({ env: { GANTRY_CONFIG: writeConfig(config).path, ...env } });
  const gw = await stack.startGateway();
  await stack.startRecorder();
  const events = await TopicReader.start<JobEvent>(stack, Topics.jobEvents);
  const pool = async (name: string) => (await getJson<Pools>(`${gw.url}/admin/models`, stack.adminAuth())).body[name];
  const waitPool = (name: string, pred: (v: PoolView) => boolean, what: string) =>
    waitFor(async () => {
      const v = await pool(name);
      return pred(v) ? v : null;
    }, what);
  const expectOneResultEach = (ids: string[]) => expectOneResult(stack, gw.url, events, ids);
  return { stack, gw, events, pool, waitPool, expectOneResultEach, stop: async () => (await events.stop(), await stack.stop()) };
}
type Harness = Awaited<ReturnType<typeof harness>>;

const logDir = () => mkdtempSync(join(tmpdir(), 'gantry-ms-log-'));

describe('process driver: an OCR resolution switch restarts DeepSeek-OCR with that mode\'s settings', () => {
  let h: Harness;
  let logFile: string;
  const kwargs = (mode: string) => JSON.stringify({ mode });

  beforeAll(async () => {
    requireBuiltSimulator();
    const port = await freePort();
    logFile = join(logDir(), 'deepseek-server.log');
    // 5 ms per vision token: a `large` page (400 tokens) takes ~2 s of prefill, long enough to switch under it.
    const server = simServer(logFile, ['--vision-token-ms', '5'], {
      resolution_args: { large: ['--mm-processor-kwargs', kwargs('large')], gundam: ['--mm-processor-kwargs', kwargs('gundam')] },
    });
    h = await harness({ models: { deepseek: { resolution_mode: 'large', ...server } } }, { OCR_BACKEND: 'vllm', OCR_BACKEND_URL: `http://127.0.0.1:${port}` });
    await h.stack.startWorker({ WORKER_POOL: 'deepseek-ocr' });
  });
  afterAll(() => h?.stop());

  it('drains the running job, restarts the server with the new arguments, and runs what comes next', async () => {
    const first = await h.waitPool('deepseek', (v) => v.server?.status === 'running', 'the OCR server to run');
    expect(first).toMatchObject({ driver: 'process', resolution: 'large' });
    expect(first.server!.args.slice(-2)).toEqual(['--mm-processor-kwargs', kwargs('large')]);
    const page = await textImage(['Quarterly numbers'], { width: 1600, height: 1200, fontSize: 64 });
    const file = { bytes: page, type: 'image/png' };

    const running = await submitOcrJson(h.gw.url, file, null, h.stack.auth('ocr-switch'));
    expect(running.status).toBe(202);
    const runningId = running.body.request_id as string;
    await h.events.waitForValues((e) => e.type === 'started' && e.request_id === runningId, 'the OCR job to start');
    const switched = await call(h.gw.url, 'POST', '/admin/ocr/resolution?resolution=gundam&graceful=true', h.stack.adminAuth());
    expect(switched.status).toBe(200);

    const after = await h.waitPool('deepseek', (v) => v.server?.status === 'running' && v.server.pid !== first.server!.pid, 'the server to run again with gundam');
    expect(after.resolution).toBe('gundam');
    expect(after.server!.args.slice(-2)).toEqual(['--mm-processor-kwargs', kwargs('gundam')]);
    expect(alive(first.server!.pid!)).toBe(false);
    expect(readFileSync(logFile, 'utf8')).toContain(`mm_processor_kwargs=${kwargs('gundam')}`);
    // The job running at the switch finished on the old server: one attempt, no retry.
    await h.expectOneResultEach([runningId]);
    expect(h.events.values((e) => e.request_id === runningId && (e.type === 'retrying' || e.type === 'started')).map((e) => e.type)).toEqual(['started']);

    const next = await submitOcrJson(h.gw.url, file, null, h.stack.auth('ocr-switch'));
    expect(next.status).toBe(202);
    await h.expectOneResultEach([next.body.request_id as string]);
  });
});

describe('process driver: auto_switch stops an idle pool and starts it when requests wait', () => {
  let h: Harness;
  const windowSeconds = 3;
  const submit = async (n: number, label: string) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const res = await submitChat(h.gw.url, chatBody(`${label} ${i} ${randomUUID()}`), h.stack.auth('auto-switch'));
      expect(res.status).toBe(202);
      ids.push(res.body.request_id as string);
    }
    return ids;
  };

  beforeAll(async () => {
    requireBuiltSimulator();
    const port = await freePort();
    h = await harness(
      {
        auto_switch: { enabled: true, pattern_window_days: windowSeconds / 86_400, min_requests_for_switch: 3, max_wait_seconds: 3600 },
        models: { gemma: simServer(join(logDir(), 'gemma-server.log'), ['--itl-ms', '10']) },
      },
      { GEMMA_BACKEND_URL: `http://127.0.0.1:${port}` },
    );
    await h.stack.startWorker();
  });
  afterAll(() => h?.stop());

  it('frees the server after the window without jobs, waits for min_requests_for_switch, then runs them all once', async () => {
    const up = await h.waitPool('gemma', (v) => v.server?.status === 'running', 'the server to run');
    await h.expectOneResultEach(await submit(1, 'before idle'));

    const idle = await h.waitPool('gemma', (v) => v.status === 'idle', 'the pool to go idle');
    expect(idle).toMatchObject({ desired: 'running', driver: 'process', server: { status: 'idle_stopped', pid: null } });
    expect(alive(up.server!.pid!)).toBe(false);

    // Fewer than min_requests_for_switch: they wait (a few checks pass; max_wait_seconds is an hour).
    const early = await submit(2, 'too few');
    await sleep(2_000);
    expect((await h.pool('gemma')).server!.status).toBe('idle_stopped');
    for (const id of early) expect((await getJob(h.gw.url, id)).body.status).toBe('queued');

    const third = await submit(1, 'enough');
    const back = await h.waitPool('gemma', (v) => v.status === 'running' && v.server?.status === 'running', 'the server to start again');
    expect(back.server!.pid).not.toBe(up.server!.pid);
    await h.expectOneResultEach([...early, ...third]);
    expect(h.events.values((e) => [...early, ...third].includes(e.request_id) && e.type === 'retrying')).toEqual([]);
  });
});
