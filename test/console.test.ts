import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { RunningGateway } from '../apps/gateway/src/gateway.bootstrap';
import type { PoolView } from '../apps/gateway/src/admin/pool-view';
import { getJson } from './support/operations';
import { chatBody, createStack, getJob, submitChat, waitFor, waitTerminal, type TestStack } from './support/stack';

const ROOT = join(__dirname, '..');
// The built console, as `npm run console` runs it (`npm test` builds first; else run `npx nest build`).
const CONSOLE = join(ROOT, 'dist', 'apps', 'console', 'src', 'main.js');

/**
 * The operators' console (`npm run console -- <url> <token>`), driven in a real terminal: tmux
 * runs it, `send-keys` types, `capture-pane` reads the screen. The gateway and workers are real.
 */
describe('console in tmux', () => {
  let stack: TestStack;
  let gw: RunningGateway;
  // A tmux server of this test's own, so nothing else's sessions are touched.
  const socket = `gantry-console-${process.pid}-${Date.now().toString(36)}`;
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  const screen = () => tmux('capture-pane', '-p', '-t', 'console');
  const waitScreen = (pred: (text: string) => boolean, what: string, timeoutMs = 30_000) =>
    waitFor(async () => {
      const text = screen();
      return pred(text) ? text : null;
    }, `the console to show ${what}`, timeoutMs, 200).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\n--- screen ---\n${screen()}`);
    });
  const gemmaRow = (text: string) => text.split('\n').find((l) => /^\W*gemma\s/.test(l)) ?? '';
  const gemma = async () => (await getJson<Record<string, PoolView>>(`${gw.url}/admin/models`, stack.adminAuth())).body.gemma;

  beforeAll(async () => {
    const ensure = spawnSync('bash', [join(ROOT, 'deploy/local/ensure-tmux.sh')], { encoding: 'utf8' });
    if (ensure.status !== 0) throw new Error(`deploy/local/ensure-tmux.sh failed (${ensure.status}):\n${ensure.stderr}`);
    if (!existsSync(CONSOLE)) throw new Error(`${CONSOLE} is missing: build first (npx nest build; npm test does it)`);
    // 30 tokens at 100 ms each: a job runs about 3 s, long enough to drain under it.
    stack = await createStack({ sim: { itlMs: 100 } });
    gw = await stack.startGateway();
    await Promise.all([stack.startRecorder(), stack.startWorker({ WORKER_MAX_CONCURRENT: '1' })]);
  });
  afterAll(async () => {
    spawnSync('tmux', ['-L', socket, 'kill-server']);
    await stack?.stop();
  });

  it('refuses bad arguments and a non-admin token before drawing anything', async () => {
    // Asynchronous: the gateway answers from this process, so it must not be blocked.
    const run = (...args: string[]) =>
      new Promise<{ status: number | null; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [CONSOLE, ...args], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
        child.once('error', reject);
        child.once('close', (status) => resolve({ status, stderr }));
      });
    const noArgs = await run();
    expect(noArgs.status).toBe(2);
    expect(noArgs.stderr).toMatch(/two arguments/);
    expect(noArgs.stderr).toMatch(/Usage: npm run console/);
    expect((await run('ftp://127.0.0.1', 'x')).stderr).toMatch(/http or https/);
    const client = await run(gw.url, stack.accessToken({ clientId: 'console-app' }));
    expect(client.status).toBe(2);
    expect(client.stderr).toMatch(/the gateway refused the request \(4\d\d /);
    const expired = await run(gw.url, stack.accessToken({ role: 'admin', expiresIn: -60 }));
    expect(expired.status).toBe(2);
    expect(expired.stderr).toMatch(/the gateway refused the request \(401 /);
    // Not the gateway's base URL.
    expect((await run(`${gw.url}/api`, stack.accessToken({ role: 'admin' }))).stderr).toMatch(/refused the request \(404 /);
  });

  it('shows the pools, queue bars and recent crashes; p pauses the selected pool, r resumes it', async () => {
    // One crash to show: the backend rejects this job.
    const rejected = await submitChat(gw.url, chatBody(`[[sim:fail=400:1]] console crash ${randomUUID()}`), stack.auth('console-app'));
    expect((await waitTerminal(gw.url, rejected.body.request_id as string)).status).toBe('failed');

    const token = stack.accessToken({ role: 'admin' });
    // The shell prints the console's exit status once it quits (tmux's own pane status is not always set).
    tmux('new-session', '-d', '-s', 'console', '-x', '200', '-y', '50', '-c', ROOT, `${process.execPath} ${CONSOLE} ${gw.url} ${token} --refresh 1; echo "console exited with $?"; sleep 600`);

    const first = await waitScreen((t) => /gemma\s+running\s+healthy/.test(gemmaRow(t)) && t.includes('backend_rejected'), 'gemma running and the crash');
    expect(first).toContain('Gantry console');
    expect(first).toMatch(/deepseek\s+no_workers/);
    expect(first).toMatch(/QUEUE gemma\s+waiting 0/);
    expect(first).toMatch(/high\s+░+ 0/);

    // gemma is the first row, selected at start.
    tmux('send-keys', '-t', 'console', 'p');
    await waitFor(async () => (await gemma()).desired === 'stopped' || null, 'the pool to be stopped');
    expect(await gemma()).toMatchObject({ stop_mode: 'graceful' });
    const paused = await waitScreen((t) => /gemma\s+stopped/.test(gemmaRow(t)), 'gemma stopped');
    expect(paused).toContain('paused gemma');

    // Stopped: a submitted job waits, and the queue bar shows it.
    const waiting = await submitChat(gw.url, chatBody(`console waiting ${randomUUID()}`), stack.auth('console-app'));
    await waitScreen((t) => /QUEUE gemma\s+waiting 1/.test(t) && /normal\s+█+ 1/.test(t), 'one job waiting at normal priority');
    expect((await getJob(gw.url, waiting.body.request_id as string)).body.status).toBe('queued');

    tmux('send-keys', '-t', 'console', 'r');
    await waitFor(async () => (await gemma()).desired === 'running' || null, 'the pool to run again');
    await waitScreen((t) => /gemma\s+running/.test(gemmaRow(t)) && t.includes('resumed gemma'), 'gemma running again');
    expect((await waitTerminal(gw.url, waiting.body.request_id as string)).status).toBe('succeeded');
  });

  it('d drains the selected pool: the running job finishes, the next waits, and the screen says when it is drained', async () => {
    const long = chatBody(`[[sim:tokens=30]] console drain ${randomUUID()}`, { max_tokens: 30 });
    const running = await submitChat(gw.url, long, stack.auth('console-app'));
    const next = await submitChat(gw.url, chatBody(`console next ${randomUUID()}`), stack.auth('console-app'));
    await waitFor(async () => stack.sim.stats().running === 1 || null, 'the first job to run');

    tmux('send-keys', '-t', 'console', 'd');
    await waitScreen((t) => /gemma\s+draining/.test(gemmaRow(t)), 'gemma draining');
    const drained = await waitScreen((t) => t.includes('drained gemma'), 'the drain to end');
    expect(gemmaRow(drained)).toMatch(/gemma\s+stopped/);
    expect(await gemma()).toMatchObject({ desired: 'stopped', status: 'stopped', in_flight: 0 });
    expect((await waitTerminal(gw.url, running.body.request_id as string)).status).toBe('succeeded');
    expect((await getJob(gw.url, next.body.request_id as string)).body.status).toBe('queued');

    tmux('send-keys', '-t', 'console', 'r');
    expect((await waitTerminal(gw.url, next.body.request_id as string)).status).toBe('succeeded');
  });

  it('q quits with status 0', async () => {
    tmux('send-keys', '-t', 'console', 'q');
    const after = await waitScreen((t) => t.includes('console exited with'), 'that it quit');
    expect(after).toContain('console exited with 0');
  });
});
