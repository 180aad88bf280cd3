import { POOLS, PRIORITIES, Topics, type Priority } from '@gantry/contracts';
import type { RunningGateway } from '../apps/gateway/src/gateway.bootstrap';
import { chatBody, createStack, producedCount, submitChat, waitFor, type TestStack } from './support/stack';
import { jobMessage, RawProducer } from './support/kafka-helpers';

/**
 * Admission control: with the gemma pool's backlog (Kafka lag of `gantry.worker.gemma`) past a
 * share of its limit, new jobs get 503 "Queue is full" with Retry-After: low from 50% of the
 * limit, normal from 75%, high from 100%. No worker runs until the end, so the backlog only grows.
 */
describe('admission control', () => {
  let stack: TestStack;
  let gw: RunningGateway;
  let raw: RawProducer;
  const LIMIT = 20;
  const allJobTopics = POOLS.flatMap((pool) => PRIORITIES.map((p) => Topics.jobs(pool, p)));

  beforeAll(async () => {
    stack = await createStack();
    // Cache 0: every submit measures the lag, so each step below sees the backlog it built.
    gw = await stack.startGateway({ ADMISSION_MAX_BACKLOG: `gemma=${LIMIT}`, ADMISSION_CACHE_MS: '0' });
    await stack.startRecorder();
    raw = await RawProducer.connect(stack);
  });
  afterAll(async () => {
    await raw?.disconnect();
    await stack?.stop();
  });

  const backlogTo = async (n: number) => {
    const have = await producedCount(stack, PRIORITIES.map((p) => Topics.jobs('gemma', p)));
    for (let i = have; i < n; i++) await raw.send(Topics.jobs('gemma', 'normal'), `k${i}`, jobMessage({ client_id: 'backlog' }));
    expect(await producedCount(stack, PRIORITIES.map((p) => Topics.jobs('gemma', p)))).toBe(n);
  };
  const submit = (priority: Priority) => submitChat(gw.url, chatBody(`${priority} job`), stack.auth('admission', { 'x-priority': priority }));

  async function expectRefused(priority: Priority): Promise<void> {
    const before = await producedCount(stack, allJobTopics);
    const res = await fetch(`${gw.url}/api/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...stack.auth('admission', { 'x-priority': priority }) },
      body: JSON.stringify(chatBody('refused')),
    });
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ code: 'queue_full', detail: 'Queue is full, please try again later' });
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await producedCount(stack, allJobTopics)).toBe(before);
  }

  it('accepts every priority below half the limit', async () => {
    await backlogTo(LIMIT / 2 - 3);
    for (const p of ['low', 'normal', 'high'] as const) expect((await submit(p)).status).toBe(202);
  });

  it('refuses low first (from 50%), still takes normal and high', async () => {
    await backlogTo(LIMIT / 2); // 10
    await expectRefused('low');
    expect((await submit('normal')).status).toBe(202);
    expect((await submit('high')).status).toBe(202);
  });

  it('then normal (from 75%), still takes high', async () => {
    await backlogTo((LIMIT * 3) / 4); // 15
    await expectRefused('normal');
    await expectRefused('low');
    expect((await submit('high')).status).toBe(202);
  });

  it('then high (at 100%)', async () => {
    await backlogTo(LIMIT);
    await expectRefused('high');
    await expectRefused('normal');
    await expectRefused('low');
  });

  it('admits again once a worker drains the backlog', async () => {
    await stack.startWorker();
    await waitFor(async () => (await submit('low')).status === 202, 'a low job to be admitted again', 60_000, 500);
  });
});
