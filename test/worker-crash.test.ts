import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningGateway } from '../apps/gateway/src/gateway.bootstrap';
import { chatBody, createStack, submitChat, waitFor, type TestStack } from './support/stack';

const WORKER = join(__dirname, '..', 'dist', 'apps', 'worker', 'src', 'main.js');

/**
 * A worker killed with SIGKILL while jobs are in flight loses nothing: offsets of unfinished jobs
 * were never committed, so the restarted worker runs them, and the recorder keeps one row and one
 * result per job.
 */
describe('worker killed mid-flight', () => {
  let stack: TestStack;
  let gw: RunningGateway;
  const children: ChildProcess[] = [];

  function startWorkerProcess(): ChildProcess {
    const child = spawn(process.execPath, [WORKER], {
      env: { ...process.env, ...stack.env, WORKER_MAX_CONCURRENT: '6', KAFKA_SESSION_TIMEOUT_MS: '6000', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
    return child;
  }

  beforeAll(async () => {
    if (!existsSync(WORKER)) throw new Error(`${WORKER} is missing: run \`npm run build\` first (npm test does)`);
    stack = await createStack({ sim: { itlMs: 15 }, env: { KAFKA_SESSION_TIMEOUT_MS: '6000' } });
    gw = await stack.startGateway();
    await stack.startRecorder();
  });
  afterAll(async () => {
    children.forEach((c) => c.exitCode === null && c.kill('SIGKILL'));
    await stack?.stop();
  });

  it('finishes every accepted job exactly once after a SIGKILL and restart', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const { status, body } = await submitChat(gw.url, chatBody(`crash job ${i}`, { max_tokens: 20 }), stack.auth('crash'));
      expect(status).toBe(202);
      ids.push(body.request_id as string);
    }
    const count = async (where: string) => Number((await stack.pg.query(`SELECT count(*) AS n FROM jobs WHERE ${where}`)).rows[0].n);

    const first = startWorkerProcess();
    // Kill once some jobs are done and others are running on the backend.
    await waitFor(async () => (await count(`status = 'succeeded'`)) >= 6 && stack.sim.stats().running > 0, 'some jobs done and some in flight', 60_000, 5);
    const inFlightAtKill = stack.sim.stats().running;
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    expect(inFlightAtKill).toBeGreaterThan(0);
    const unfinished = await count(`status_rank < 2`);
    expect(unfinished).toBeGreaterThan(0);

    startWorkerProcess();
    await waitFor(async () => (await count(`status = 'succeeded'`)) === ids.length, 'every job to succeed after restart', 75_000, 100);

    const rows = await stack.pg.query(`SELECT request_id, status, result FROM jobs ORDER BY request_id`);
    expect(rows.rows.map((r) => r.request_id).sort()).toEqual([...ids].sort());
    for (const r of rows.rows) {
      expect(r.status).toBe('succeeded');
      expect(r.result.object).toBe('chat.completion');
    }
    // The interrupted jobs really ran twice on the backend; the recorder kept one result each.
    expect(stack.sim.stats().completed + stack.sim.stats().aborted).toBeGreaterThanOrEqual(ids.length);
  });
});
