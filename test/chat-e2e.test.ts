import { POOLS, PRIORITIES, Topics } from '@gantry/contracts';
import type { RunningGateway } from '../apps/gateway/src/gateway.bootstrap';
import { chatBody, createStack, getJob, producedCount, submitChat, waitTerminal, type TestStack } from './support/stack';

/** The first real path: HTTP → Kafka → worker → simulator → recorder → Postgres/Redis → poll. */
describe('chat job end to end', () => {
  let stack: TestStack;
  let gw: RunningGateway;

  beforeAll(async () => {
    stack = await createStack();
    gw = await stack.startGateway();
    await Promise.all([stack.startWorker(), stack.startRecorder()]);
  });
  afterAll(() => stack?.stop());

  const allJobTopics = POOLS.flatMap((pool) => PRIORITIES.map((p) => Topics.jobs(pool, p)));

  it('accepts a chat job with 202 and the reference shape', async () => {
    const res = await submitChat(gw.url, chatBody('What is 2+2?'), stack.auth('my_app', { 'x-priority': 'high' }));
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ request_id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'queued', message: 'Request queued for processing' });
  });

  it('runs the job to succeeded with the simulator answer, one jobs row, usage and timings', async () => {
    const body = chatBody('Say something deterministic', { temperature: 0.2 });
    const { body: accepted } = await submitChat(gw.url, body, stack.auth('my_app'));
    const id = accepted.request_id as string;
    const done = await waitTerminal(gw.url, id);
    expect(done.status).toBe('succeeded');

    // The simulator is deterministic: asking it directly gives the same content.
    const direct = await fetch(`${stack.sim.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...body, model: 'gemma-3-4b-it' }),
    }).then((r) => r.json() as Promise<{ choices: Array<{ message: { content: string } }> }>);
    const result = done.result as { object: string; choices: Array<{ message: { content: string } }> };
    expect(result.object).toBe('chat.completion');
    expect(result.choices[0].message.content).toBe(direct.choices[0].message.content);
    expect(done.usage).toEqual(expect.objectContaining({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) }));
    expect(done.attempts).toBe(1);
    expect(done.timings.total_ms).toBeGreaterThanOrEqual(done.timings.run_ms!);

    const rows = await stack.pg.query('SELECT status, client_id, priority, request FROM jobs WHERE request_id = $1', [id]);
    expect(rows.rows).toHaveLength(1);
    expect(rows.rows[0]).toMatchObject({ status: 'succeeded', client_id: 'my_app', priority: 'normal' });
    expect(rows.rows[0].request.messages[0].content).toBe('Say something deterministic');

    // Postgres alone (hot copy gone) gives the same answer.
    await stack.redis.del(`job:${id}`);
    const fromDb = await getJob(gw.url, id);
    expect(fromDb.body.status).toBe('succeeded');
    expect(fromDb.body.result).toEqual(done.result);
  });

  it('passes the priority through to vLLM (high = 0, low = 2)', async () => {
    const hi = await submitChat(gw.url, chatBody('priority probe high'), stack.auth('a', { 'x-priority': 'high' }));
    const lo = await submitChat(gw.url, chatBody('priority probe low'), stack.auth('a', { 'x-priority': 'LOW' }));
    await waitTerminal(gw.url, hi.body.request_id as string);
    await waitTerminal(gw.url, lo.body.request_id as string);
    const seen = stack.sim.stats().requests.map((r) => r.body as { priority: number; messages: Array<{ content: string }> });
    expect(seen.find((b) => b.messages[0].content === 'priority probe high')?.priority).toBe(0);
    expect(seen.find((b) => b.messages[0].content === 'priority probe low')?.priority).toBe(2);
  });

  it('hides another client\'s job (404, same as unknown)', async () => {
    const { body } = await submitChat(gw.url, chatBody('mine'), stack.auth('owner'));
    const other = await getJob(gw.url, body.request_id as string, stack.auth('intruder'));
    const unknown = await getJob(gw.url, '00000000-0000-4000-8000-000000000000', stack.auth('intruder'));
    expect(other.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(other.body.code).toBe(unknown.body.code);
  });

  describe('bad input gets a 4xx JSON error with a stable code and queues nothing', () => {
    const cases: Array<[string, () => Promise<{ status: number; body: Record<string, unknown> }>, number, string]> = [
      // A client's credential names its client; an admin acting for a client must say which.
      ['missing X-Client-ID (admin)', () => submitChat(gw.url, chatBody('x'), stack.adminAuth()), 400, 'missing_client_id'],
      ['malformed X-Client-ID', () => submitChat(gw.url, chatBody('x'), stack.auth('bad id with spaces')), 400, 'invalid_client_id'],
      ['bad priority', () => submitChat(gw.url, chatBody('x'), stack.auth('a', { 'x-priority': 'urgent' })), 400, 'invalid_priority'],
      ['invalid JSON', () => submitChat(gw.url, '{"model": "gemma-3-4b-it", "messages": [', stack.auth('a')), 400, 'invalid_json'],
      ['empty body', () => submitChat(gw.url, '', stack.auth('a')), 400, 'invalid_request'],
      ['JSON array body', () => submitChat(gw.url, '[]', stack.auth('a')), 400, 'invalid_request'],
      ['empty messages', () => submitChat(gw.url, chatBody('x', { messages: [] }), stack.auth('a')), 400, 'invalid_request'],
      ['bad role', () => submitChat(gw.url, chatBody('x', { messages: [{ role: 'robot', content: 'x' }] }), stack.auth('a')), 400, 'invalid_request'],
      ['negative max_tokens', () => submitChat(gw.url, chatBody('x', { max_tokens: -5 }), stack.auth('a')), 400, 'invalid_request'],
      ['temperature out of range', () => submitChat(gw.url, chatBody('x', { temperature: 9 }), stack.auth('a')), 400, 'invalid_request'],
      ['unknown model', () => submitChat(gw.url, chatBody('x', { model: 'gpt-4' }), stack.auth('a')), 404, 'model_not_found'],
      ['oversized body', () => submitChat(gw.url, chatBody('x'.repeat(1_200_000)), stack.auth('a')), 413, 'payload_too_large'],
    ];

    it.each(cases)('%s', async (_name, send, status, code) => {
      const before = await producedCount(stack, allJobTopics);
      const res = await send();
      expect(res.status).toBe(status);
      expect(res.body.code).toBe(code);
      expect(typeof res.body.detail).toBe('string');
      expect(await producedCount(stack, allJobTopics)).toBe(before);
    });

    it('names the model in the reference message', async () => {
      const res = await submitChat(gw.url, chatBody('x', { model: 'gpt-4' }), stack.auth('a'));
      expect(res.body.detail).toBe('Model gpt-4 not available');
    });

    it('lists every invalid field', async () => {
      const res = await submitChat(gw.url, { model: 'gemma-3-4b-it', messages: [{ role: 'user' }], max_tokens: 'many' }, stack.auth('a'));
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.stringContaining('messages.0.content'), expect.stringContaining('max_tokens')]));
    });

    it('rejects a non-UUID request id and a wrong content type', async () => {
      expect((await getJob(gw.url, 'not-a-uuid')).body.code).toBe('invalid_request_id');
      const res = await fetch(`${gw.url}/api/chat`, { method: 'POST', headers: { ...stack.auth('a'), 'content-type': 'text/plain' }, body: 'hello' });
      expect(res.status).toBe(415);
      expect(((await res.json()) as { code: string }).code).toBe('unsupported_media_type');
    });
  });
});
