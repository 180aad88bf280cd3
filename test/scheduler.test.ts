import type { RunningGateway } from '../apps/gateway/src/gateway.bootstrap';
import type { RunningWorker } from '../apps/worker/src/worker.bootstrap';
import { chatBody, createStack, submitChat, waitFor, waitTerminal, type TestStack } from './support/stack';

type SimBody = { priority: number; messages: Array<{ content: string }> };

/**
 * The worker's scheduler against a saturated backend (one sequence in the simulator, one slot in
 * the worker): a long "blocker" job holds the slot while a backlog builds in all three priorities.
 */
async function saturatedStack(agingMs: number, maxWaiting = 100): Promise<{ stack: TestStack; gw: RunningGateway; worker: RunningWorker }> {
  const stack = await createStack({ sim: { maxNumSeqs: 1, itlMs: 20 } });
  const gw = await stack.startGateway();
  const [worker] = await Promise.all([
    stack.startWorker({ WORKER_MAX_CONCURRENT: '1', WORKER_MAX_WAITING: String(maxWaiting), WORKER_AGING_MS: String(agingMs) }),
    stack.startRecorder(),
  ]);
  return { stack, gw, worker };
}

async function submitBlocker(gw: RunningGateway, stack: TestStack, tokens: number): Promise<string> {
  const { body } = await submitChat(gw.url, chatBody(`blocker [[sim:tokens=${tokens}]]`, { max_tokens: tokens }), stack.auth('sched', { 'x-priority': 'low' }));
  await waitFor(async () => stack.sim.stats().running === 1, 'the blocker to occupy the backend');
  return body.request_id as string;
}

const contents = (stack: TestStack) => stack.sim.stats().requests.map((r) => (r.body as SimBody).messages[0].content);

describe('worker scheduler: priority order', () => {
  let stack: TestStack;
  let gw: RunningGateway;
  beforeAll(async () => ({ stack, gw } = await saturatedStack(60_000)));
  afterAll(() => stack?.stop());

  it('starts high before normal before low once the backend frees up, whatever the submit order', async () => {
    await submitBlocker(gw, stack, 100); // ~2 s of generation
    const ids: string[] = [];
    // Adversarial order: lows first, highs last.
    for (const priority of ['low', 'normal', 'high'] as const) {
      for (let i = 0; i < 4; i++) {
        const { status, body } = await submitChat(gw.url, chatBody(`${priority}-${i}`, { max_tokens: 2 }), stack.auth('sched', { 'x-priority': priority }));
        expect(status).toBe(202);
        ids.push(body.request_id as string);
      }
    }
    for (const id of ids) expect((await waitTerminal(gw.url, id)).status).toBe('succeeded');

    const order = contents(stack).filter((c) => !c.startsWith('blocker'));
    expect(order).toEqual(['high-0', 'high-1', 'high-2', 'high-3', 'normal-0', 'normal-1', 'normal-2', 'normal-3', 'low-0', 'low-1', 'low-2', 'low-3']);
    // vLLM's own scheduler is told the same priorities.
    const priorities = stack.sim.stats().requests.filter((r) => !(r.body as SimBody).messages[0].content.startsWith('blocker')).map((r) => (r.body as SimBody).priority);
    expect(priorities).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
  });
});

describe('worker scheduler: aging', () => {
  let stack: TestStack;
  let gw: RunningGateway;
  beforeAll(async () => ({ stack, gw } = await saturatedStack(1_000)));
  afterAll(() => stack?.stop());

  it('serves a low job that waited past the aging threshold before fresher high jobs', async () => {
    await submitBlocker(gw, stack, 75); // ~1.5 s, longer than the 1 s aging threshold
    const low = await submitChat(gw.url, chatBody('old-low', { max_tokens: 2 }), stack.auth('sched', { 'x-priority': 'low' }));
    const highs: string[] = [];
    for (let i = 0; i < 6; i++) {
      const { body } = await submitChat(gw.url, chatBody(`fresh-high-${i}`, { max_tokens: 2 }), stack.auth('sched', { 'x-priority': 'high' }));
      highs.push(body.request_id as string);
    }
    await waitTerminal(gw.url, low.body.request_id as string);
    for (const id of highs) await waitTerminal(gw.url, id);

    const order = contents(stack).filter((c) => !c.startsWith('blocker'));
    // Without aging the low job would run last (see the priority test above).
    expect(order[0]).toBe('old-low');
    expect(order.slice(1)).toEqual(highs.map((_, i) => `fresh-high-${i}`));
  });
});

describe('worker scheduler: bounded queues', () => {
  let stack: TestStack;
  let gw: RunningGateway;
  let worker: RunningWorker;
  beforeAll(async () => ({ stack, gw, worker } = await saturatedStack(60_000, 2)));
  afterAll(() => stack?.stop());

  it('holds at most max_waiting per priority, pauses the full topics, and runs every job once after resume', async () => {
    await submitBlocker(gw, stack, 100); // ~2 s of generation
    const ids: string[] = [];
    for (const priority of ['low', 'normal', 'high'] as const) {
      for (let i = 0; i < 7; i++) {
        const { status, body } = await submitChat(gw.url, chatBody(`bounded-${priority}-${i}`, { max_tokens: 2 }), stack.auth('sched', { 'x-priority': priority }));
        expect(status).toBe(202);
        ids.push(body.request_id as string);
      }
    }
    // While the blocker holds the only slot, each priority's queue fills to its bound and its topic
    // is paused: the backlog stays in Kafka, not in the worker's memory.
    await waitFor(async () => worker.server.stats().pausedTopics.length === 3, 'all three priority topics to pause');
    const held = worker.server.stats().waiting;
    expect(held).toEqual({ high: 2, normal: 2, low: 2 });

    for (const id of ids) expect((await waitTerminal(gw.url, id)).status).toBe('succeeded');
    // Resumed topics were fetched again from the first unqueued offset: each job reached the
    // backend exactly once, none skipped.
    const ran = contents(stack).filter((c) => c.startsWith('bounded-'));
    expect(ran).toHaveLength(ids.length);
    expect(new Set(ran).size).toBe(ids.length);
    expect(worker.server.stats().pausedTopics).toEqual([]);
  });
});
