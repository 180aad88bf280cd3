import type { RunningGateway } from '../apps/gateway/src/gateway.bootstrap';
import { chatBody, createStack, getJob, submitChat, waitFor, waitTerminal, type TestStack } from './support/stack';

type SimBody = { messages: Array<{ content: string }> };

/** Reads an SSE stream into `{event, data}` records until it ends. */
async function readSse(url: string, headers: Record<string, string>): Promise<Array<{ event: string; data: Record<string, unknown> }>> {
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('event:'))
    .map((block) => {
      const [ev, data] = block.split('\n');
      return { event: ev.slice('event: '.length), data: JSON.parse(data.slice('data: '.length)) as Record<string, unknown> };
    });
}

/**
 * Live progress, cancel and deadlines against one saturated backend slot: a "blocker" job holds
 * the only sequence so the job under test is reliably still queued when the test acts on it.
 */
describe('live progress, cancel and deadlines', () => {
  let stack: TestStack;
  let gw: RunningGateway;
  const who = () => stack.auth('live');

  beforeAll(async () => {
    stack = await createStack({ sim: { maxNumSeqs: 1, itlMs: 25 } });
    gw = await stack.startGateway();
    await Promise.all([stack.startWorker({ WORKER_MAX_CONCURRENT: '1' }), stack.startRecorder()]);
  });
  afterAll(() => stack?.stop());

  async function blocker(tokens = 40): Promise<string> {
    const { body } = await submitChat(gw.url, chatBody(`blocker ${Math.random()} [[sim:tokens=${tokens}]]`, { max_tokens: tokens }), who());
    await waitFor(async () => stack.sim.stats().running === 1, 'the blocker to hold the backend');
    return body.request_id as string;
  }
  const received = (text: string) => stack.sim.stats().requests.some((r) => (r.body as SimBody).messages[0].content.includes(text));

  it('streams queued, running, token chunks and succeeded in order over SSE', async () => {
    await blocker();
    const { body } = await submitChat(gw.url, chatBody('stream me [[sim:tokens=6]]', { max_tokens: 6 }), who());
    const id = body.request_id as string;
    const events = await readSse(`${gw.url}/api/jobs/${id}/events`, who());

    const names = events.map((e) => e.event);
    expect(names[0]).toBe('queued');
    expect(names[1]).toBe('running');
    expect(names.slice(2, 8)).toEqual(Array(6).fill('token'));
    expect(names.at(-1)).toBe('succeeded');
    expect(names).toHaveLength(9);
    // The chunks add up to the final answer.
    const streamed = events.filter((e) => e.event === 'token').map((e) => e.data.delta).join('');
    const result = events.at(-1)!.data.result as { choices: Array<{ message: { content: string } }> };
    expect(streamed).toBe(result.choices[0].message.content);
  });

  it('ends a stream of a finished job with its terminal state at once', async () => {
    const { body } = await submitChat(gw.url, chatBody('already done'), who());
    await waitTerminal(gw.url, body.request_id as string);
    const events = await readSse(`${gw.url}/api/jobs/${body.request_id}/events`, who());
    expect(events.map((e) => e.event)).toEqual(['succeeded']);
  });

  it('long-poll returns as soon as the job changes, with the new state', async () => {
    await blocker(60);
    const { body } = await submitChat(gw.url, chatBody('long-poll me'), who());
    const id = body.request_id as string;
    expect((await getJob(gw.url, id, who())).body.status).toBe('queued');
    const started = Date.now();
    const res = await fetch(`${gw.url}/api/jobs/${id}?wait=30`, { headers: who() });
    const view = (await res.json()) as { status: string };
    expect(res.status).toBe(200);
    expect(view.status).not.toBe('queued');
    // It woke on the change, well before the 30 s it was allowed to hold.
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  /** A job the backend is generating (~4 s at the simulator's 25 ms per token). */
  async function runningJob(label: string): Promise<string> {
    const { body } = await submitChat(gw.url, chatBody(`${label} ${Math.random()} [[sim:tokens=160]]`, { max_tokens: 160 }), who());
    const id = body.request_id as string;
    await waitFor(async () => (await getJob(gw.url, id, who())).body.status === 'running', 'the job to run');
    return id;
  }

  it('long-poll on a running job holds until it finishes and returns right after', async () => {
    const id = await runningJob('long-poll a running job');
    const asked = Date.now();
    const res = await fetch(`${gw.url}/api/jobs/${id}?wait=30`, { headers: who() });
    const answered = Date.now();
    const view = (await res.json()) as { status: string; finished_at: string };
    expect(res.status).toBe(200);
    expect(view.status).toBe('succeeded');
    const finishedAt = Date.parse(view.finished_at);
    // It held: the job finished after the request came in...
    expect(finishedAt).toBeGreaterThan(asked);
    // ...and it woke on the finish, not at the end of the 30 s it was allowed to hold.
    expect(answered - finishedAt).toBeLessThan(5_000);
    expect(answered - asked).toBeLessThan(20_000);
  });

  it('honours Prefer: wait=N: holds until the change and says so', async () => {
    const id = await runningJob('prefer wait');
    const asked = Date.now();
    const res = await fetch(`${gw.url}/api/jobs/${id}`, { headers: { ...who(), prefer: 'wait=20' } });
    const answered = Date.now();
    expect(res.status).toBe(200);
    expect(res.headers.get('preference-applied')).toBe('wait=20');
    const view = (await res.json()) as { status: string; finished_at: string };
    // Asked while running, answered with the outcome: the header was not just echoed.
    expect(view.status).toBe('succeeded');
    expect(Date.parse(view.finished_at)).toBeGreaterThan(asked);
    expect(answered - Date.parse(view.finished_at)).toBeLessThan(5_000);
  });

  it('rejects a bad wait value with invalid_wait', async () => {
    const { body } = await submitChat(gw.url, chatBody('bad wait'), who());
    for (const wait of ['-1', '61', 'soon', '1.5']) {
      const res = await fetch(`${gw.url}/api/jobs/${body.request_id}?wait=${wait}`, { headers: who() });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { code: string }).code).toBe('invalid_wait');
    }
  });

  it('a job cancelled while queued never reaches the backend', async () => {
    await blocker();
    const { body } = await submitChat(gw.url, chatBody('cancel me before I start'), who());
    const id = body.request_id as string;
    const res = await fetch(`${gw.url}/api/jobs/${id}/cancel`, { method: 'POST', headers: who() });
    expect(res.status).toBe(202);
    expect(((await res.json()) as { status: string }).status).toBe('cancelling');
    const done = await waitTerminal(gw.url, id);
    expect(done.status).toBe('cancelled');
    // Let the worker dequeue it after the blocker: it must skip it.
    await waitFor(async () => stack.sim.stats().running === 0, 'the backend to go idle');
    const { body: after } = await submitChat(gw.url, chatBody('after the cancelled one'), who());
    await waitTerminal(gw.url, after.request_id as string);
    expect(received('cancel me before I start')).toBe(false);
    expect((await getJob(gw.url, id, who())).body.status).toBe('cancelled');
  });

  it('cancelling a running job aborts its upstream request', async () => {
    const abortedBefore = stack.sim.stats().aborted;
    const { body } = await submitChat(gw.url, chatBody(`hang ${Math.random()} [[sim:hang]]`), who());
    const id = body.request_id as string;
    await waitFor(async () => (await getJob(gw.url, id, who())).body.status === 'running' && stack.sim.stats().running === 1, 'the job to run');
    expect((await fetch(`${gw.url}/api/jobs/${id}/cancel`, { method: 'POST', headers: who() })).status).toBe(202);
    const done = await waitTerminal(gw.url, id);
    expect(done.status).toBe('cancelled');
    await waitFor(async () => stack.sim.stats().aborted > abortedBefore, 'the simulator to see the abort');
  });

  it('cancelling a finished job is a 409 with job_not_cancellable', async () => {
    const { body } = await submitChat(gw.url, chatBody('finish first'), who());
    await waitTerminal(gw.url, body.request_id as string);
    const res = await fetch(`${gw.url}/api/jobs/${body.request_id}/cancel`, { method: 'POST', headers: who() });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { code: string }).code).toBe('job_not_cancellable');
  });

  it('a job whose ttl passes in the queue expires and never runs', async () => {
    await blocker(80); // ~2 s, longer than the ttl
    const { body } = await submitChat(gw.url, chatBody('too late for me', { ttl: 1 }), who());
    const done = await waitTerminal(gw.url, body.request_id as string);
    expect(done.status).toBe('expired');
    expect(done.error?.code).toBe('expired');
    expect(received('too late for me')).toBe(false);
  });

  it('execution_timeout fails a job that runs too long and aborts it upstream', async () => {
    const { body } = await submitChat(gw.url, chatBody(`slow ${Math.random()} [[sim:hang]]`, { execution_timeout: 1 }), who());
    const done = await waitTerminal(gw.url, body.request_id as string);
    expect(done.status).toBe('failed');
    expect(done.error?.code).toBe('execution_timeout');
    expect(done.attempts).toBe(1);
  });

  it('validates ttl and execution_timeout', async () => {
    for (const extra of [{ ttl: 0 }, { ttl: 'soon' }, { execution_timeout: -1 }, { webhook_events_filter: ['finished'] }]) {
      const res = await submitChat(gw.url, chatBody('x', extra), who());
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('invalid_request');
    }
  });
});
