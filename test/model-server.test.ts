import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Topics, type JobEvent } from '@gantry/contracts';
import type { RunningGateway } from '../apps/gateway/src/gateway.bootstrap';
import type { PoolView } from '../apps/gateway/src/admin/pool-view';
import type { RunningWorker } from '../apps/worker/src/worker.bootstrap';
import { call } from './support/http';
import { expectOneResultEach as expectOneResult, TopicReader } from './support/kafka-helpers';
import { alive, requireBuiltSimulator, simServer, writeConfig } from './support/model-server';
import { freePort, getJson } from './support/operations';
import { chatBody, createStack, getJob, submitChat, waitFor, type TestStack } from './support/stack';

type Pools = Record<string, PoolView>;

/**
 * The `process` driver (issue 7): the gemma worker runs its model server (the simulator, as a real
 * child process) and keeps it in step with the pool. No job reaches the server before its health
 * check answers 200; a stop drains and frees the process; a start brings it back; a killed server
 * is restarted; a closed worker leaves no server behind. No job is lost or finished twice.
 */
describe('process driver: the worker runs the model server', () => {
  let stack: TestStack;
  let gw: RunningGateway;
  let worker: RunningWorker;
  let events: TopicReader<JobEvent>;
  let logFile: string;

  const gemma = async () => (await getJson<Pools>(`${gw.url}/admin/models`, stack.adminAuth())).body.gemma;
  const waitServer = (pred: (v: PoolView) => boolean, what: string) =>
    waitFor(async () => {
      const v = await gemma();
      return pred(v) ? v : null;
    }, what);
  const post = (path: string) => call(gw.url, 'POST', path, stack.adminAuth());
  const submit = async (n: number, label: string): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const res = await submitChat(gw.url, chatBody(`${label} ${i} ${randomUUID()}`), stack.auth('ms-app'));
      expect(res.status).toBe(202);
      ids.push(res.body.request_id as string);
    }
    return ids;
  };
  const started = (ids: string[], n = 1) => events.waitForValues((e) => e.type === 'started' && ids.includes(e.request_id), 'jobs to start', n);
  const expectOneResultEach = (ids: string[]) => expectOneResult(stack, gw.url, events, ids);

  beforeAll(async () => {
    requireBuiltSimulator();
    const port = await freePort();
    logFile = join(mkdtempSync(join(tmpdir(), 'gantry-ms-log-')), 'gemma-server.log');
    // 16 tokens at 150 ms: a job runs ~2.4 s. The server "loads" 1.5 s, answering 503 meanwhile.
    const config = writeConfig({ models: { gemma: simServer(logFile, ['--itl-ms', '150', '--startup-delay-ms', '1500']) } });
    stack = await createStack({ env: { GEMMA_BACKEND_URL: `http://127.0.0.1:${port}`, GANTRY_CONFIG: config.path } });
    gw = await stack.startGateway();
    await stack.startRecorder();
    events = await TopicReader.start<JobEvent>(stack, Topics.jobEvents);
  });
  afterAll(async () => {
    await events?.stop();
    await stack?.stop();
  });

  it('starts the server with the worker and sends no job before its health check answers 200', async () => {
    // Submitted before the worker (and its server) exist: they wait in Kafka.
    const ids = await submit(3, 'early');
    worker = await stack.startWorker({ WORKER_MAX_CONCURRENT: '4' });
    expect(worker.modelServer().driver).toBe('process');
    await expectOneResultEach(ids);
    // The simulator answers 503 while it loads: a job sent then would have been retried.
    expect(events.values((e) => ids.includes(e.request_id) && e.type === 'retrying')).toEqual([]);
    for (const id of ids) expect(events.values((e) => e.request_id === id && e.type === 'started').map((e) => e.attempt)).toEqual([1]);
    const v = await waitServer((x) => x.server?.status === 'running', 'the server to show as running');
    expect(v).toMatchObject({ status: 'running', driver: 'process', backend_healthy: true, server: { status: 'running', restarts: 0, log_file: logFile } });
    expect(alive(v.server!.pid!)).toBe(true);
    expect(readFileSync(logFile, 'utf8')).toContain('vllm-sim listening on');
  });

  it('a graceful stop lets running jobs finish, then frees the process; start brings it back health-gated', async () => {
    const ids = await submit(2, 'graceful');
    await started(ids, 2);
    const before = (await waitServer((x) => x.server?.status === 'running', 'server running')).server!.pid!;
    expect((await post('/admin/models/gemma/stop?graceful=true')).status).toBe(200);
    const stopped = await waitServer((x) => x.server?.status === 'stopped', 'the server to stop');
    expect(stopped).toMatchObject({ status: 'stopped', server: { pid: null } });
    expect(alive(before)).toBe(false);
    await expectOneResultEach(ids);

    // While stopped, new jobs wait in Kafka: there is no server to run them.
    const queued = await submit(2, 'while stopped');
    for (const id of queued) expect((await getJob(gw.url, id)).body.status).toBe('queued');

    expect((await post('/admin/models/gemma/start')).status).toBe(200);
    const back = await waitServer((x) => x.server?.status === 'running' && x.status === 'running', 'the server to run again');
    expect(back.server!.pid).not.toBe(before);
    await expectOneResultEach(queued);
    expect(events.values((e) => queued.includes(e.request_id) && e.type === 'retrying')).toEqual([]);
  });

  it('a forced stop aborts running jobs back to the queue and stops the server; they finish once after a start', async () => {
    const ids = await submit(3, 'forced');
    await started(ids, 3);
    const pid = (await gemma()).server!.pid!;
    expect((await post('/admin/models/gemma/stop?graceful=false')).status).toBe(200);
    await waitServer((x) => x.server?.status === 'stopped', 'the server to stop');
    expect(alive(pid)).toBe(false);
    const unfinished = await stack.pg.query<{ n: string }>(`SELECT count(*) AS n FROM jobs WHERE request_id = ANY($1) AND status = 'succeeded'`, [ids]);
    expect(Number(unfinished.rows[0].n)).toBe(0);
    expect((await post('/admin/models/gemma/start')).status).toBe(200);
    await expectOneResultEach(ids);
  });

  it('a killed server is restarted with backoff and its jobs complete, each with exactly one result', async () => {
    const ids = await submit(3, 'crash');
    await started(ids, 3);
    const pid = (await waitServer((x) => x.server?.status === 'running', 'server running')).server!.pid!;
    process.kill(pid, 'SIGKILL');
    const restarted = await waitServer((x) => x.server?.status === 'running' && x.server.pid !== pid, 'the server to be restarted');
    expect(restarted.server).toMatchObject({ restarts: 1, last_exit: { code: null, signal: 'SIGKILL' } });
    await expectOneResultEach(ids);
    // The log keeps both runs.
    expect(readFileSync(logFile, 'utf8').match(/gantry starts:/g)!.length).toBeGreaterThanOrEqual(4);
  });

  it('closing the worker stops its server: no orphan process', async () => {
    const pid = (await waitServer((x) => x.server?.status === 'running', 'server running')).server!.pid!;
    await worker.close();
    expect(worker.modelServer().server).toMatchObject({ status: 'stopped', pid: null });
    expect(alive(pid)).toBe(false);
  });
});
