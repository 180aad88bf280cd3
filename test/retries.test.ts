import { randomUUID } from 'node:crypto';
import { Topics, type JobEvent, type JobView } from '@gantry/contracts';
import type { RunningGateway } from '../apps/gateway/src/gateway.bootstrap';
import { TopicReader } from './support/kafka-helpers';
import { chatBody, createStack, submitChat, waitTerminal, type TestStack } from './support/stack';

interface Harness {
  stack: TestStack;
  gw: RunningGateway;
  events: TopicReader<JobEvent>;
}

async function startHarness(workerEnv: Record<string, string>): Promise<Harness> {
  const stack = await createStack();
  const events = await TopicReader.start<JobEvent>(stack, Topics.jobEvents);
  const gw = await stack.startGateway();
  await Promise.all([stack.startWorker(workerEnv), stack.startRecorder()]);
  return { stack, gw, events };
}

async function stopHarness(h: Harness | undefined): Promise<void> {
  await h?.events.stop();
  await h?.stack.stop();
}

/** Submits a chat job whose prompt carries `directive` (a unique prompt per call) and waits for its outcome. */
async function run(h: Harness, directive: string): Promise<{ id: string; prompt: string; view: JobView }> {
  const prompt = `${directive} retry probe ${randomUUID()}`;
  const res = await submitChat(h.gw.url, chatBody(prompt), h.stack.auth('retry-tests'));
  expect(res.status).toBe(202);
  const id = res.body.request_id as string;
  return { id, prompt, view: await waitTerminal(h.gw.url, id) };
}

/** Requests the simulator received for `prompt`, oldest first. */
function simRequests(h: Harness, prompt: string) {
  return h.stack.sim.stats().requests.filter((r) => (r.body as { messages?: Array<{ content: string }> }).messages?.[0]?.content === prompt);
}

/** The job's lifecycle as published by the worker, as `type@attempt`. */
async function lifecycle(h: Harness, id: string): Promise<string[]> {
  await h.events.waitForValues((e) => e.request_id === id && (e.type === 'succeeded' || e.type === 'failed'), `the outcome event of ${id}`);
  return h.events.values((e) => e.request_id === id).map((e) => `${e.type}@${e.attempt}`);
}

/** The jobs row agrees with what polling returned. */
async function expectRowMatches(h: Harness, id: string, view: JobView): Promise<void> {
  const { rows } = await h.stack.pg.query('SELECT status, attempts, error, result, client_id, finished_at FROM jobs WHERE request_id = $1', [id]);
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ status: view.status, attempts: view.attempts, error: view.error, result: view.result, client_id: 'retry-tests' });
  expect((rows[0].finished_at as Date).toISOString()).toBe(view.finished_at);
}

describe('backend failures with the simulator (WORKER_MAX_ATTEMPTS=3)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ WORKER_MAX_ATTEMPTS: '3' });
  });
  afterAll(() => stopHarness(h));

  it('retries 500s and succeeds on the last allowed attempt', async () => {
    const { id, prompt, view } = await run(h, '[[sim:fail=500:2]]');
    expect(view).toMatchObject({ status: 'succeeded', attempts: 3, error: null });
    expect((view.result as { object: string }).object).toBe('chat.completion');
    expect(simRequests(h, prompt)).toHaveLength(3);
    expect(await lifecycle(h, id)).toEqual(['started@1', 'retrying@1', 'started@2', 'retrying@2', 'started@3', 'succeeded@3']);
    const retrying = h.events.values((e) => e.request_id === id && e.type === 'retrying');
    for (const e of retrying) expect(e.error).toMatchObject({ code: 'backend_error', status: 500 });
    await expectRowMatches(h, id, view);
  });

  it('retries a 429 after the Retry-After the backend asked for, then succeeds', async () => {
    const { id, prompt, view } = await run(h, '[[sim:fail=429:1]]');
    expect(view).toMatchObject({ status: 'succeeded', attempts: 2, error: null });
    const reqs = simRequests(h, prompt);
    expect(reqs).toHaveLength(2);
    // The simulator sends Retry-After: 1; the worker's own backoff here is at most 500 ms.
    expect(reqs[1].at - reqs[0].at).toBeGreaterThanOrEqual(950);
    expect(await lifecycle(h, id)).toEqual(['started@1', 'retrying@1', 'started@2', 'succeeded@2']);
    expect(h.events.values((e) => e.request_id === id && e.type === 'retrying')[0].error).toMatchObject({ code: 'backend_overloaded', status: 429 });
    await expectRowMatches(h, id, view);
  });

  it('fails at once, without retrying, when the backend rejects the request (400)', async () => {
    const { id, prompt, view } = await run(h, '[[sim:fail=400:9]]');
    expect(view).toMatchObject({ status: 'failed', attempts: 1, result: null });
    expect(view.error).toMatchObject({ code: 'backend_rejected', status: 400 });
    expect(view.error!.message).toContain('400');
    expect(view.error!.message).not.toMatch(/gave up/);
    expect(simRequests(h, prompt)).toHaveLength(1);
    expect(await lifecycle(h, id)).toEqual(['started@1', 'failed@1']);
    await expectRowMatches(h, id, view);
  });

  it('gives up on transient failures after WORKER_MAX_ATTEMPTS and says so', async () => {
    const { id, prompt, view } = await run(h, '[[sim:fail=500:10]]');
    expect(view).toMatchObject({ status: 'failed', attempts: 3, result: null });
    expect(view.error).toMatchObject({ code: 'backend_error', status: 500 });
    expect(view.error!.message).toMatch(/500/);
    expect(view.error!.message).toMatch(/gave up after 3 attempts/);
    expect(simRequests(h, prompt)).toHaveLength(3);
    expect(await lifecycle(h, id)).toEqual(['started@1', 'retrying@1', 'started@2', 'retrying@2', 'started@3', 'failed@3']);
    await expectRowMatches(h, id, view);
  });
});

describe('backend unreachable (closed port, WORKER_MAX_ATTEMPTS=2)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ GEMMA_BACKEND_URL: 'http://127.0.0.1:1', WORKER_MAX_ATTEMPTS: '2' });
  });
  afterAll(() => stopHarness(h));

  it('fails with backend_unreachable after its attempts, naming the backend', async () => {
    const { id, view } = await run(h, 'unreachable');
    expect(view).toMatchObject({ status: 'failed', attempts: 2, result: null });
    expect(view.error!.code).toBe('backend_unreachable');
    expect(view.error!.message).toContain('cannot reach http://127.0.0.1:1');
    expect(view.error!.message).toMatch(/gave up after 2 attempts/);
    expect(view.error!.status).toBeUndefined();
    expect(await lifecycle(h, id)).toEqual(['started@1', 'retrying@1', 'started@2', 'failed@2']);
    expect(h.stack.sim.stats().received).toBe(0); // the stack's simulator was not the backend
    await expectRowMatches(h, id, view);
  });

  it('opens the circuit after 5 consecutive failures: the next attempt fails fast with circuit_open', async () => {
    // The first test left 2 consecutive failures; this job adds 2 more; the next job's first
    // attempt is the 5th, which opens the circuit (2 s cooldown) before its second attempt.
    const second = await run(h, 'unreachable again');
    expect(second.view.error!.code).toBe('backend_unreachable');
    const third = await run(h, 'unreachable once more');
    expect(third.view).toMatchObject({ status: 'failed', attempts: 2 });
    expect(third.view.error!.code).toBe('circuit_open');
    expect(third.view.error!.message).toMatch(/circuit open for http:\/\/127\.0\.0\.1:1/);
    expect(third.view.error!.message).toMatch(/gave up after 2 attempts/);
    const retrying = h.events.values((e) => e.request_id === third.id && e.type === 'retrying');
    expect(retrying.map((e) => e.error!.code)).toEqual(['backend_unreachable']);
    await expectRowMatches(h, third.id, third.view);
  });
});
