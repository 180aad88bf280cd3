import { randomUUID } from 'node:crypto';
import OpenAI from 'openai';
import type { RunningGateway } from '../apps/gateway/src/gateway.bootstrap';
import { createStack, getJob, waitFor, type TestStack } from './support/stack';

/**
 * `POST /v1/chat/completions` driven by the official `openai` package only: the synchronous API
 * over the asynchronous core (Kafka → worker → simulator), plain and streamed.
 */
describe('OpenAI-compatible chat completions', () => {
  let stack: TestStack;
  let gw: RunningGateway;
  const client = (clientId: string, extra: Partial<ConstructorParameters<typeof OpenAI>[0]> = {}) =>
    new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: stack.auth(clientId).authorization.replace(/^Bearer /, ''), maxRetries: 0, ...extra });
  const direct = async (content: string, extra: Record<string, unknown> = {}) => {
    const res = await fetch(`${stack.sim.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gemma-3-4b-it', messages: [{ role: 'user', content }], ...extra }),
    });
    return ((await res.json()) as { choices: Array<{ message: { content: string } }> }).choices[0].message.content;
  };

  beforeAll(async () => {
    stack = await createStack({ sim: { itlMs: 2 } });
    gw = await stack.startGateway();
    await Promise.all([stack.startWorker(), stack.startRecorder()]);
  });
  afterAll(() => stack?.stop());

  it('answers a chat completion with the backend’s answer, and the job is recorded under its x-request-id', async () => {
    // The simulator's own length depends on the prompt: ask for more tokens than max_tokens allows.
    const content = `[[sim:tokens=30]] sync hello ${randomUUID()}`;
    const { data, response } = await client('sync-app').chat.completions.create({ model: 'gemma-3-4b-it', messages: [{ role: 'user', content }], max_tokens: 12 }).withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.choices[0].message.content).toBe(await direct(content, { max_tokens: 12 }));
    expect(data.usage?.completion_tokens).toBe(12);
    const requestId = response.headers.get('x-request-id')!;
    const job = await waitFor(async () => {
      const { body } = await getJob(gw.url, requestId, stack.auth('sync-app'));
      return body.status === 'succeeded' ? body : null;
    }, 'the job row');
    expect(job.client_id).toBe('sync-app');
    expect((job.result as { choices: Array<{ message: { content: string } }> }).choices[0].message.content).toBe(data.choices[0].message.content);
    // Another client cannot see it.
    expect((await getJob(gw.url, requestId, stack.auth('other-app'))).status).toBe(404);
  });

  it('streams chunks whose concatenation is the answer, ending with usage and [DONE]', async () => {
    const content = `[[sim:tokens=30]] sync stream ${randomUUID()}`;
    const stream = await client('sync-app').chat.completions.create({
      model: 'gemma-3-4b-it',
      messages: [{ role: 'user', content }],
      max_tokens: 20,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let contentChunks = 0;
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      const choice = chunk.choices[0];
      if (choice?.delta.content) {
        text += choice.delta.content;
        contentChunks++;
      }
      if (choice?.finish_reason) finish = choice.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(await direct(content, { max_tokens: 20 }));
    // Streamed token by token from the worker, not sent as one piece at the end.
    expect(contentChunks).toBeGreaterThan(5);
    expect(finish).toBe('length');
    expect(usage?.completion_tokens).toBe(20);
  });

  it('runs at the priority of X-Priority', async () => {
    const { response } = await client('sync-app', { defaultHeaders: { 'x-priority': 'high' } })
      .chat.completions.create({ model: 'gemma-3-4b-it', messages: [{ role: 'user', content: `sync high ${randomUUID()}` }] })
      .withResponse();
    const id = response.headers.get('x-request-id')!;
    const job = await waitFor(async () => ((await getJob(gw.url, id, stack.auth('sync-app'))).body.status === 'succeeded' ? (await getJob(gw.url, id, stack.auth('sync-app'))).body : null), 'the job');
    expect(job.priority).toBe('high');
  });

  it('gives OpenAI-shaped errors the SDK raises: bad body, unknown model, n > 1, no credentials, a rejecting backend', async () => {
    const c = client('sync-app');
    const err = async (p: Promise<unknown>) => p.then(() => { throw new Error('expected an error'); }, (e: unknown) => e as InstanceType<typeof OpenAI.APIError>);

    const empty = await err(c.chat.completions.create({ model: 'gemma-3-4b-it', messages: [] }));
    expect(empty.status).toBe(400);
    expect(empty.code).toBe('invalid_request');
    expect(empty.type).toBe('invalid_request_error');
    expect(empty.message).toMatch(/messages/);

    const unknown = await err(c.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }));
    expect(unknown.status).toBe(404);
    expect(unknown.code).toBe('model_not_found');

    const many = await err(c.chat.completions.create({ model: 'gemma-3-4b-it', n: 2, messages: [{ role: 'user', content: 'hi' }] }));
    expect(many.status).toBe(400);
    expect(many.message).toMatch(/n must be 1/);

    const badStream = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...stack.auth('sync-app'), 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gemma-3-4b-it', messages: [{ role: 'user', content: 'hi' }], stream: 'yes' }),
    });
    expect(badStream.status).toBe(400);
    expect(((await badStream.json()) as { error: { code: string } }).error.code).toBe('invalid_request');

    const anonymous = await err(new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'not-a-key', maxRetries: 0 }).chat.completions.create({ model: 'gemma-3-4b-it', messages: [{ role: 'user', content: 'hi' }] }));
    expect(anonymous.status).toBe(401);
    expect(anonymous.type).toBe('authentication_error');

    // The backend refuses the request (400): a client error, named as such, with the job's id.
    const rejected = await err(c.chat.completions.create({ model: 'gemma-3-4b-it', messages: [{ role: 'user', content: `[[sim:fail=400:1]] sync ${randomUUID()}` }] }));
    expect(rejected.status).toBe(400);
    expect(rejected.code).toBe('backend_rejected');
    const rejectedId = rejected.headers?.['x-request-id'];
    expect(rejectedId).toMatch(/^[0-9a-f-]{36}$/);
    await waitFor(async () => (await getJob(gw.url, rejectedId!, stack.auth('sync-app'))).body.status === 'failed' || null, 'the failed job row');

    // A streamed call that fails ends with an error event, which the SDK raises.
    const streamed = await c.chat.completions.create({ model: 'gemma-3-4b-it', stream: true, messages: [{ role: 'user', content: `[[sim:fail=400:1]] sync stream ${randomUUID()}` }] });
    const streamErr = await err((async () => {
      for await (const chunk of streamed) void chunk;
    })());
    expect(streamErr.message).toMatch(/rejected/);
  });

  it('cancels the job when the caller goes away', async () => {
    const controller = new AbortController();
    const content = `[[sim:hang]] sync hang ${randomUUID()}`;
    const pending = client('sync-app').chat.completions.create({ model: 'gemma-3-4b-it', messages: [{ role: 'user', content }] }, { signal: controller.signal }).catch((e: unknown) => e);
    await waitFor(async () => stack.sim.stats().running >= 1 || null, 'the job to reach the backend');
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    const id = (await waitFor(async () => (await stack.pg.query<{ request_id: string }>(`SELECT request_id FROM jobs WHERE request->'messages'->0->>'content' = $1`, [content])).rows[0]?.request_id, 'the job row'));
    await waitFor(async () => (await getJob(gw.url, id, stack.auth('sync-app'))).body.status === 'cancelled' || null, 'the job to be cancelled');
    await waitFor(async () => stack.sim.stats().running === 0 || null, 'the backend request to be aborted');
  });
});
