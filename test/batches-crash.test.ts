import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningGateway } from '../apps/gateway/src/gateway.bootstrap';
import { createStack, waitFor, type TestStack } from './support/stack';
import { chatLine, parseJsonl } from './support/batches';

const DIST = join(__dirname, '..', 'dist', 'apps');
const RECORDER = join(DIST, 'recorder', 'src', 'main.js');
const WORKER = join(DIST, 'worker', 'src', 'main.js');


/**
 * A batch survives SIGKILL of the process expanding it (the recorder) and of a worker running
 * its children: after a restart every line ends answered exactly once, with one job row per line
 * and each custom_id once in the output.
 */
describe('batches under SIGKILL', () => {
  let stack: TestStack;
  let gw: RunningGateway;
  const children: ChildProcess[] = [];

  function start(main: string, env: Record<string, string>): ChildProcess {
    const child = spawn(process.execPath, [main], { env: { ...process.env, ...stack.env, KAFKA_SESSION_TIMEOUT_MS: '6000', LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(child);
    return child;
  }
  async function kill(child: ChildProcess): Promise<void> {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  beforeAll(async () => {
    for (const main of [RECORDER, WORKER]) if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` first (npm test does)`);
    stack = await createStack({ sim: { itlMs: 15 }, env: { KAFKA_SESSION_TIMEOUT_MS: '6000', BATCH_SWEEP_INTERVAL_MS: '200' } });
    gw = await stack.startGateway();
  });
  afterAll(async () => {
    children.forEach((c) => c.exitCode === null && c.signalCode === null && c.kill('SIGKILL'));
    await stack?.stop();
  });

  async function submit(client: string, lines: string[]): Promise<string> {
    const form = new FormData();
    form.append('file', new Blob([lines.join('\n')]), 'crash.jsonl');
    const res = await fetch(`${gw.url}/api/batches`, { method: 'POST', headers: stack.auth(client), body: form });
    expect(res.status).toBe(202);
    return ((await res.json()) as { batch_id: string }).batch_id;
  }
  const row = async (id: string) =>
    (await stack.pg.query('SELECT status, expanded_through, last_leader_line FROM batches WHERE id = $1', [id])).rows[0] as { status: string; expanded_through: number; last_leader_line: number };
  const count = async (sql: string, params: unknown[]) => Number((await stack.pg.query(sql, params)).rows[0].n);

  /** The batch completed, and every line is answered exactly once. */
  async function expectEachLineOnce(id: string, client: string, customIds: string[]): Promise<void> {
    await waitFor(async () => (await row(id)).status === 'completed', `batch ${id} completed`, 120_000, 200);
    const res = await fetch(`${gw.url}/api/batches/${id}/results`, { headers: stack.auth(client) });
    const out = parseJsonl(await res.text());
    expect(out).toHaveLength(customIds.length);
    expect(out.map((l) => l.custom_id).sort()).toEqual([...customIds].sort());
    expect(out.every((l) => l.response?.status_code === 200 && l.error === null)).toBe(true);
    // One child job row per line, each finished once; nothing in the error file.
    expect(await count('SELECT count(*) AS n FROM jobs WHERE batch_id = $1', [id])).toBe(customIds.length);
    expect(await count(`SELECT count(*) AS n FROM jobs WHERE batch_id = $1 AND status = 'succeeded'`, [id])).toBe(customIds.length);
    expect(new Set(out.map((l) => l.response!.request_id)).size).toBe(customIds.length);
    const view = (await (await fetch(`${gw.url}/api/batches/${id}`, { headers: stack.auth(client) })).json()) as { request_counts: Record<string, number>; error_file_id: string | null };
    expect(view.request_counts).toMatchObject({ total: customIds.length, completed: customIds.length, failed: 0 });
    expect(view.error_file_id).toBeNull();
  }

  it('resumes a batch whose expander (the recorder process) was SIGKILLed mid-expansion', async () => {
    start(WORKER, { WORKER_MAX_CONCURRENT: '8' });
    const slow = start(RECORDER, { BATCH_EXPAND_CHUNK: '5', BATCH_EXPAND_RATE: '40' });
    const ids = Array.from({ length: 80 }, (_, i) => `x-${i}`);
    const id = await submit('crash_expand', ids.map((c) => chatLine(c, `expander crash ${c}`, {}, 20)));
    await waitFor(async () => (await row(id)).expanded_through >= 15, 'expansion under way', 60_000, 5);
    await kill(slow);
    const atKill = await row(id);
    expect(atKill.expanded_through).toBeLessThan(atKill.last_leader_line);

    start(RECORDER, { BATCH_EXPAND_CHUNK: '5', BATCH_EXPAND_RATE: '2000' });
    await expectEachLineOnce(id, 'crash_expand', ids);
  });

  it('finishes a batch whose worker was SIGKILLed with children in flight', async () => {
    // The worker from the first test is replaced by one this test can kill mid-batch.
    await Promise.all(children.filter((c) => c.spawnargs.includes(WORKER) && c.exitCode === null && c.signalCode === null).map(kill));
    const first = start(WORKER, { WORKER_MAX_CONCURRENT: '6' });
    const ids = Array.from({ length: 40 }, (_, i) => `w-${i}`);
    const id = await submit('crash_worker', ids.map((c) => chatLine(c, `worker crash ${c}`, {}, 20)));
    await waitFor(
      async () => (await count(`SELECT count(*) AS n FROM jobs WHERE batch_id = $1 AND status = 'succeeded'`, [id])) >= 6 && stack.sim.stats().running > 0,
      'some children done and some in flight',
      60_000,
      5,
    );
    const inFlight = stack.sim.stats().running;
    await kill(first);
    expect(inFlight).toBeGreaterThan(0);
    expect(await count('SELECT count(*) AS n FROM jobs WHERE batch_id = $1 AND status_rank < 2', [id])).toBeGreaterThan(0);

    start(WORKER, { WORKER_MAX_CONCURRENT: '6' });
    await expectEachLineOnce(id, 'crash_worker', ids);
  });
});
