// Integration tests of the vLLM simulator (apps/vllm-sim), over real HTTP on ephemeral ports.

import sharp from 'sharp';
import { parseSimArgs } from '../apps/vllm-sim/src/cli';
import { type SimOptions, type Simulator, startSimulator } from '../apps/vllm-sim/src/simulator';

const started: Simulator[] = [];

async function sim(opts: SimOptions = {}): Promise<Simulator> {
  const s = await startSimulator({ port: 0, ...opts });
  started.push(s);
  return s;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});

function chat(s: Simulator, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(`${s.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  });
}

function user(text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: 'gemma-3-4b-it', messages: [{ role: 'user', content: text }], ...extra };
}

async function waitFor(what: string, pred: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Fetch that is expected to be aborted: swallows the AbortError. */
function abortable(p: Promise<Response>): Promise<Response | 'aborted'> {
  return p.catch((e: unknown) => {
    if ((e as Error).name === 'AbortError') return 'aborted' as const;
    throw e;
  });
}

interface ChatCompletion {
  id: string;
  object: string;
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: { role: string; content: string; reasoning_content: null; tool_calls: unknown[] };
    logprobs: null;
    finish_reason: string;
    stop_reason: null;
  }>;
  usage: { prompt_tokens: number; total_tokens: number; completion_tokens: number; prompt_tokens_details: null };
  prompt_logprobs: null;
}

async function completion(s: Simulator, body: unknown): Promise<ChatCompletion> {
  const res = await chat(s, body);
  expect(res.status).toBe(200);
  return (await res.json()) as ChatCompletion;
}

function sseEvents(text: string): string[] {
  return text
    .split('\n\n')
    .filter((e) => e.trim() !== '')
    .map((e) => {
      expect(e.startsWith('data: ')).toBe(true);
      return e.slice('data: '.length);
    });
}

describe('vllm-sim: chat completions', () => {
  it('answers with the exact vLLM non-stream shape', async () => {
    const s = await sim();
    const res = await chat(s, user('Hello there'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as ChatCompletion;
    expect(body).toEqual({
      id: expect.stringMatching(/^chatcmpl-[0-9a-f]+$/),
      object: 'chat.completion',
      created: expect.any(Number),
      model: 'gemma-3-4b-it',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: expect.any(String), reasoning_content: null, tool_calls: [] },
          logprobs: null,
          finish_reason: 'stop',
          stop_reason: null,
        },
      ],
      usage: {
        prompt_tokens: expect.any(Number),
        total_tokens: expect.any(Number),
        completion_tokens: 16,
        prompt_tokens_details: null,
      },
      prompt_logprobs: null,
    });
    expect(Math.abs(body.created - Date.now() / 1000)).toBeLessThan(60);
    expect(body.usage.prompt_tokens).toBeGreaterThan(0);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + 16);
    expect(body.choices[0].message.content.split(' ')).toHaveLength(16);
    expect(s.stats()).toMatchObject({ received: 1, completed: 1, running: 0, waiting: 0 });
  });

  it('caps at max_tokens / max_completion_tokens with finish_reason "length"', async () => {
    const s = await sim();
    const a = await completion(s, user('cap me', { max_tokens: 3 }));
    expect(a.usage.completion_tokens).toBe(3);
    expect(a.choices[0].finish_reason).toBe('length');
    const b = await completion(s, user('cap me', { max_completion_tokens: 5 }));
    expect(b.usage.completion_tokens).toBe(5);
    expect(b.choices[0].finish_reason).toBe('length');
    // A generous max_tokens is not reached: natural length (16..63 tokens), "stop".
    const c = await completion(s, user('cap me', { max_tokens: 500 }));
    expect(c.usage.completion_tokens).toBeGreaterThanOrEqual(16);
    expect(c.usage.completion_tokens).toBeLessThan(64);
    expect(c.choices[0].finish_reason).toBe('stop');
  });

  it('accepts multimodal content parts and unknown extra fields, and records bodies', async () => {
    const s = await sim();
    const body = {
      model: 'deepseek-ai/DeepSeek-OCR',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            { type: 'text', text: 'Free OCR.' },
          ],
        },
      ],
      temperature: 0,
      max_tokens: 8,
      priority: 3,
      skip_special_tokens: false,
      vllm_xargs: { ngram_size: 30 },
    };
    const res = await completion(s, body);
    expect(res.model).toBe('deepseek-ai/DeepSeek-OCR');
    expect(res.usage.completion_tokens).toBe(8);
    const text = await completion(s, { ...body, messages: [{ role: 'user', content: 'Free OCR.' }] });
    expect(res.usage.prompt_tokens).toBeGreaterThan(text.usage.prompt_tokens); // the image counts
    const { requests } = s.stats();
    expect(requests).toHaveLength(2);
    expect(requests[0].body).toEqual(body);
    expect((requests[0].body as { priority: number }).priority).toBe(3);
    expect(typeof requests[0].at).toBe('number');
  });

  it('uses the first served model when the body has no model', async () => {
    const s = await sim({ models: ['only-model'] });
    const res = await completion(s, { messages: [{ role: 'user', content: 'hi' }] });
    expect(res.model).toBe('only-model');
  });

  it('is deterministic for (seed, request) and changes with the seed', async () => {
    const s0 = await sim({ seed: 0 });
    const again = await sim({ seed: 0 });
    const s1 = await sim({ seed: 1 });
    const req = user('Tell me something', { max_tokens: 40 });
    const a = await completion(s0, req);
    const b = await completion(s0, req);
    const c = await completion(again, req);
    const d = await completion(s1, req);
    expect(b.choices[0].message.content).toBe(a.choices[0].message.content);
    expect(c.choices[0].message.content).toBe(a.choices[0].message.content);
    expect(c.usage).toEqual(a.usage);
    expect(d.choices[0].message.content).not.toBe(a.choices[0].message.content);
    // A different prompt gives a different answer too.
    const e = await completion(s0, user('Tell me something else', { max_tokens: 40 }));
    expect(e.choices[0].message.content).not.toBe(a.choices[0].message.content);
  });

  it('[[sim:tokens=N]] forces the completion length', async () => {
    const s = await sim();
    const a = await completion(s, user('long one [[sim:tokens=100]]'));
    expect(a.usage.completion_tokens).toBe(100);
    expect(a.choices[0].finish_reason).toBe('stop');
    const b = await completion(s, user('long one [[sim:tokens=100]]', { max_tokens: 10 }));
    expect(b.usage.completion_tokens).toBe(10);
    expect(b.choices[0].finish_reason).toBe('length');
  });

  it('streams role chunk, token chunks, finish, usage chunk and [DONE]', async () => {
    const s = await sim({ itlMs: 1 });
    const req = user('stream please', { max_tokens: 6 });
    const plain = await completion(s, req);
    const res = await chat(s, { ...req, stream: true, stream_options: { include_usage: true } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = sseEvents(await res.text());
    expect(events[events.length - 1]).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    for (const c of chunks) {
      expect(c).toMatchObject({ id: chunks[0].id, object: 'chat.completion.chunk', model: 'gemma-3-4b-it' });
    }
    expect(chunks[0].id).toMatch(/^chatcmpl-/);
    expect(chunks[0].choices).toEqual([
      { index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null },
    ]);
    const tokens = chunks.slice(1, -1);
    expect(tokens).toHaveLength(6);
    tokens.slice(0, -1).forEach((c) => expect(c.choices[0].finish_reason).toBeNull());
    expect(tokens[5].choices[0]).toMatchObject({ finish_reason: 'length', stop_reason: null });
    const text = tokens.map((c) => c.choices[0].delta.content).join('');
    expect(text).toBe(plain.choices[0].message.content);
    const usage = chunks[chunks.length - 1];
    expect(usage.choices).toEqual([]);
    expect(usage.usage).toEqual({
      prompt_tokens: plain.usage.prompt_tokens,
      total_tokens: plain.usage.prompt_tokens + 6,
      completion_tokens: 6,
    });
  });

  it('streams without a usage chunk when include_usage is not set (zero latency path)', async () => {
    const s = await sim();
    const res = await chat(s, user('stream please', { max_tokens: 4, stream: true }));
    const events = sseEvents(await res.text());
    expect(events).toHaveLength(1 + 4 + 1);
    expect(events[5]).toBe('[DONE]');
    const last = JSON.parse(events[4]);
    expect(last.choices[0].finish_reason).toBe('length');
    expect(events.some((e) => e.includes('"usage"'))).toBe(false);
  });
});

describe('vllm-sim: other routes', () => {
  it('GET /v1/models lists the served models like vLLM', async () => {
    const s = await sim({ models: ['m1', 'org/m2'] });
    const res = await fetch(`${s.url}/v1/models`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      object: 'list',
      data: ['m1', 'org/m2'].map((id) => ({
        id,
        object: 'model',
        created: expect.any(Number),
        owned_by: 'vllm',
        root: id,
        parent: null,
        max_model_len: 8192,
        permission: [],
      })),
    });
  });

  it('defaults to the three Gantry models', async () => {
    const s = await sim();
    const res = (await (await fetch(`${s.url}/v1/models`)).json()) as { data: Array<{ id: string }> };
    expect(res.data.map((m) => m.id)).toEqual(['gemma-3-4b-it', 'google/gemma-3-4b-it', 'deepseek-ai/DeepSeek-OCR']);
  });

  it('GET /health is 200 with an empty body; unknown routes are 404 JSON', async () => {
    const s = await sim();
    const health = await fetch(`${s.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('');
    const missing = await fetch(`${s.url}/v1/nothing-here`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await missing.json()).toEqual({ detail: 'Not Found' });
    const wrongMethod = await fetch(`${s.url}/v1/chat/completions`);
    expect(wrongMethod.status).toBe(405);
  });

  it('GET /metrics exposes vLLM metric names from a per-instance registry', async () => {
    const s = await sim({ maxNumSeqs: 4 });
    const other = await sim();
    await completion(s, user('count me', { max_tokens: 5 }));
    const ctrl = new AbortController();
    const hanging = abortable(chat(s, user('[[sim:hang]]'), { signal: ctrl.signal }));
    await waitFor('running', () => s.stats().running === 1);

    const text = await (await fetch(`${s.url}/metrics`)).text();
    expect(text).toContain('vllm:num_requests_running');
    expect(text).toMatch(/^vllm:num_requests_running\{model_name="gemma-3-4b-it"\} 1$/m);
    expect(text).toMatch(/^vllm:num_requests_waiting\{model_name="gemma-3-4b-it"\} 0$/m);
    expect(text).toMatch(/^vllm:generation_tokens_total\{model_name="gemma-3-4b-it"\} 5$/m);
    expect(text).toMatch(/^vllm:prompt_tokens_total\{model_name="gemma-3-4b-it"\} [1-9]\d*$/m);
    expect(text).toMatch(/^vllm:request_success_total\{model_name="gemma-3-4b-it",finished_reason="length"\} 1$/m);
    expect(text).toMatch(/^vllm:time_to_first_token_seconds_count\{model_name="gemma-3-4b-it"\} 1$/m);
    expect(text).toMatch(/^vllm:e2e_request_latency_seconds_bucket\{le="\+Inf",model_name="gemma-3-4b-it"\} 1$/m);

    // The other simulator's registry is untouched.
    const otherText = await (await fetch(`${other.url}/metrics`)).text();
    expect(otherText).toMatch(/^vllm:generation_tokens_total\{model_name="gemma-3-4b-it"\} 0$/m);
    expect(otherText).toMatch(/^vllm:num_requests_running\{model_name="gemma-3-4b-it"\} 0$/m);

    ctrl.abort();
    await hanging;
  });
});

describe('vllm-sim: errors', () => {
  it('unknown model → 404 in vLLM error shape', async () => {
    const s = await sim();
    const res = await chat(s, user('hi', { model: 'no-such-model' }));
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      object: 'error',
      message: 'The model `no-such-model` does not exist.',
      type: 'NotFoundError',
      param: null,
      code: 404,
    });
  });

  it.each([
    ['missing messages', { model: 'gemma-3-4b-it' }],
    ['empty messages', { model: 'gemma-3-4b-it', messages: [] }],
    ['non-array messages', { model: 'gemma-3-4b-it', messages: 'hello' }],
    ['message without role', { model: 'gemma-3-4b-it', messages: [{ content: 'hi' }] }],
    ['bad content', { model: 'gemma-3-4b-it', messages: [{ role: 'user', content: 42 }] }],
    ['max_tokens 0', user('hi', { max_tokens: 0 })],
    ['negative max_tokens', user('hi', { max_tokens: -5 })],
    ['string max_tokens', user('hi', { max_tokens: 'ten' })],
    ['fractional max_tokens', user('hi', { max_tokens: 1.5 })],
    ['non-integer priority', user('hi', { priority: 'high' })],
    ['stream_options without stream', user('hi', { stream_options: { include_usage: true } })],
    ['max_tokens beyond the context window', user('hi', { max_tokens: 9000 })],
    ['body not an object', [1, 2, 3]],
    ['invalid JSON', '{"model": "gemma-3-4b-it", "messages": ['],
  ])('bad body (%s) → 400 BadRequestError', async (_name, body) => {
    const s = await sim();
    const res = await chat(s, body);
    expect(res.status).toBe(400);
    const err = (await res.json()) as { message: string };
    expect(err).toEqual({ object: 'error', message: expect.any(String), type: 'BadRequestError', param: null, code: 400 });
    expect(err.message.length).toBeGreaterThan(0);
    expect(s.stats()).toMatchObject({ received: 1, failed: 1, completed: 0 });
  });

  it('[[sim:fail=500:2]] fails the first two identical requests, then succeeds', async () => {
    const s = await sim();
    const body = user('flaky [[sim:fail=500:2]]');
    const r1 = await chat(s, body);
    expect(r1.status).toBe(500);
    expect(await r1.json()).toMatchObject({ object: 'error', type: 'InternalServerError', code: 500, param: null });
    // priority is not part of the body identity
    const r2 = await chat(s, { ...body, priority: 7 });
    expect(r2.status).toBe(500);
    // a different body has its own counter
    expect((await chat(s, user('other flaky [[sim:fail=500:2]]'))).status).toBe(500);
    const r3 = await chat(s, body);
    expect(r3.status).toBe(200);
    expect(((await r3.json()) as ChatCompletion).choices[0].message.content).toEqual(expect.any(String));
    expect((await chat(s, body)).status).toBe(200);
    expect(s.stats()).toMatchObject({ received: 5, failed: 3, completed: 2 });
  });

  it('[[sim:fail=429:1]] answers 429 with Retry-After: 1, then succeeds', async () => {
    const s = await sim();
    const body = user('throttled [[sim:fail=429:1]]');
    const r1 = await chat(s, body);
    expect(r1.status).toBe(429);
    expect(r1.headers.get('retry-after')).toBe('1');
    expect(await r1.json()).toMatchObject({ object: 'error', code: 429 });
    expect((await chat(s, body)).status).toBe(200);
  });

  it('[[sim:fail=400:999]] keeps failing with 400', async () => {
    const s = await sim();
    for (let i = 0; i < 3; i++) {
      const res = await chat(s, user('never [[sim:fail=400:999]]'));
      expect(res.status).toBe(400);
      expect(((await res.json()) as { type: string }).type).toBe('BadRequestError');
    }
  });

  it('failRate injects failures deterministically by seed and request counter', async () => {
    const statuses = async (s: Simulator) => {
      const out: number[] = [];
      for (let i = 0; i < 30; i++) out.push((await chat(s, user(`req ${i}`))).status);
      return out;
    };
    const a = await statuses(await sim({ failRate: 0.5, failMode: 'server_error', seed: 42 }));
    const b = await statuses(await sim({ failRate: 0.5, failMode: 'server_error', seed: 42 }));
    expect(a).toEqual(b);
    expect(a).toContain(500);
    expect(a).toContain(200);
    expect(new Set(a)).toEqual(new Set([200, 500]));

    const limited = await sim({ failRate: 1, failMode: 'rate_limit' });
    const res = await chat(limited, user('hi'));
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');

    const s = await sim({ failRate: 1 });
    expect((await chat(s, user('hi'))).status).toBe(500);
    s.configure({ failRate: 0 });
    expect((await chat(s, user('hi'))).status).toBe(200);
  });
});

describe('vllm-sim: scheduling', () => {
  it('runs queued requests by priority (lowest first) once the slot frees', async () => {
    const s = await sim({ maxNumSeqs: 1, itlMs: 5 });
    const order: number[] = [];
    const long = chat(s, user('occupy the slot [[sim:tokens=100]]'));
    await waitFor('the long request to run', () => s.stats().running === 1);

    const queued: Array<Promise<void>> = [];
    for (const priority of [5, 0, 2]) {
      const waitingBefore = s.stats().waiting;
      queued.push(
        chat(s, user(`queued p=${priority}`, { priority, max_tokens: 2 })).then(async (res) => {
          expect(res.status).toBe(200);
          await res.json();
          order.push(priority);
        }),
      );
      await waitFor(`request p=${priority} to queue`, () => s.stats().waiting === waitingBefore + 1);
    }
    expect(s.stats()).toMatchObject({ running: 1, waiting: 3 });
    expect((await long).status).toBe(200);
    await Promise.all(queued);
    expect(order).toEqual([0, 2, 5]);
    expect(s.stats()).toMatchObject({ completed: 4, maxRunning: 1, running: 0, waiting: 0 });
  });

  it('is FIFO among equal priorities', async () => {
    const s = await sim({ maxNumSeqs: 1 });
    const ctrl = new AbortController();
    const blocker = abortable(chat(s, user('[[sim:hang]]'), { signal: ctrl.signal }));
    await waitFor('blocker running', () => s.stats().running === 1);
    const order: string[] = [];
    const queued: Array<Promise<void>> = [];
    for (const name of ['a', 'b', 'c', 'd']) {
      const before = s.stats().waiting;
      queued.push(
        chat(s, user(name, { priority: 1 })).then(async (r) => {
          await r.text();
          order.push(name);
        }),
      );
      await waitFor(`${name} queued`, () => s.stats().waiting === before + 1);
    }
    ctrl.abort();
    await blocker;
    await Promise.all(queued);
    expect(order).toEqual(['a', 'b', 'c', 'd']);
  });

  it('aborting a hanging request counts it and frees its slot', async () => {
    const s = await sim({ maxNumSeqs: 1 });
    const ctrl = new AbortController();
    const hanging = abortable(chat(s, user('stuck [[sim:hang]]'), { signal: ctrl.signal }));
    await waitFor('the hanging request to run', () => s.stats().running === 1);
    const next = chat(s, user('next in line'));
    await waitFor('the next request to queue', () => s.stats().waiting === 1);
    expect(s.stats().aborted).toBe(0);

    ctrl.abort();
    expect(await hanging).toBe('aborted');
    const res = await next;
    expect(res.status).toBe(200);
    await res.json();
    await waitFor('stats to settle', () => s.stats().completed === 1);
    expect(s.stats()).toMatchObject({ aborted: 1, completed: 1, running: 0, waiting: 0 });
  });

  it('aborting a waiting request removes it from the queue', async () => {
    const s = await sim({ maxNumSeqs: 1 });
    const hangCtrl = new AbortController();
    const hanging = abortable(chat(s, user('[[sim:hang]]'), { signal: hangCtrl.signal }));
    await waitFor('running', () => s.stats().running === 1);
    const waitCtrl = new AbortController();
    const waiting = abortable(chat(s, user('impatient'), { signal: waitCtrl.signal }));
    await waitFor('queued', () => s.stats().waiting === 1);
    waitCtrl.abort();
    expect(await waiting).toBe('aborted');
    await waitFor('waiting request dropped', () => s.stats().waiting === 0);
    expect(s.stats()).toMatchObject({ aborted: 1, running: 1 });
    hangCtrl.abort();
    await hanging;
    await waitFor('slot freed', () => s.stats().running === 0);
    expect(s.stats()).toMatchObject({ aborted: 2, completed: 0 });
  });

  it('aborting a stream mid-generation stops it and frees the slot', async () => {
    const s = await sim({ itlMs: 20 });
    const ctrl = new AbortController();
    const res = await chat(s, user('[[sim:tokens=500]]', { stream: true }), { signal: ctrl.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain('"role":"assistant"');
    expect(s.stats().running).toBe(1);
    ctrl.abort();
    await reader.read().catch(() => undefined);
    await waitFor('abort to be seen', () => s.stats().aborted === 1);
    expect(s.stats()).toMatchObject({ running: 0, completed: 0 });
  });

  it('answers 503 when the waiting queue is full (maxWaiting)', async () => {
    const s = await sim({ maxNumSeqs: 1, maxWaiting: 1 });
    const ctrl = new AbortController();
    const hanging = abortable(chat(s, user('[[sim:hang]]'), { signal: ctrl.signal }));
    await waitFor('running', () => s.stats().running === 1);
    const queued = chat(s, user('second'));
    await waitFor('queued', () => s.stats().waiting === 1);

    const res = await chat(s, user('third', { stream: true }));
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ object: 'error', type: 'ServiceUnavailableError', code: 503, param: null });
    expect(s.stats()).toMatchObject({ rejected: 1, failed: 1, waiting: 1 });

    ctrl.abort();
    await hanging;
    expect((await queued).status).toBe(200);
  });

  it('tracks running peaks, busy and saturated time', async () => {
    const s = await sim({ maxNumSeqs: 2 });
    const ctrl = new AbortController();
    const a = abortable(chat(s, user('[[sim:hang]] a'), { signal: ctrl.signal }));
    await waitFor('one running', () => s.stats().running === 1);
    const b = abortable(chat(s, user('[[sim:hang]] b'), { signal: ctrl.signal }));
    await waitFor('two running', () => s.stats().running === 2);
    await new Promise((r) => setTimeout(r, 30));
    const during = s.stats();
    expect(during.maxRunning).toBe(2);
    expect(during.saturatedMs).toBeGreaterThan(0);
    expect(during.busyMs).toBeGreaterThanOrEqual(during.saturatedMs);
    expect(during.uptimeMs).toBeGreaterThanOrEqual(during.busyMs);

    // Raising maxNumSeqs ends saturation while both keep running.
    s.configure({ maxNumSeqs: 4 });
    const satAfterConfigure = s.stats().saturatedMs;
    await new Promise((r) => setTimeout(r, 20));
    expect(s.stats().saturatedMs).toBe(satAfterConfigure);

    ctrl.abort();
    await Promise.all([a, b]);
    await waitFor('idle', () => s.stats().running === 0);
    const idle = s.stats();
    await new Promise((r) => setTimeout(r, 20));
    expect(s.stats().busyMs).toBe(idle.busyMs);

    s.resetStats();
    expect(s.stats()).toMatchObject({ received: 0, aborted: 0, maxRunning: 0, busyMs: 0, saturatedMs: 0, requests: [] });
  });

  it('configure() adds served models and frees slots for the queue', async () => {
    const s = await sim({ maxNumSeqs: 1 });
    expect((await chat(s, user('hi', { model: 'late-model' }))).status).toBe(404);
    s.configure({ models: ['late-model'] });
    expect((await chat(s, user('hi', { model: 'late-model' }))).status).toBe(200);

    const ctrl = new AbortController();
    const hanging = abortable(chat(s, user('[[sim:hang]]', { model: 'late-model' }), { signal: ctrl.signal }));
    await waitFor('running', () => s.stats().running === 1);
    const queued = chat(s, user('waiting', { model: 'late-model' }));
    await waitFor('queued', () => s.stats().waiting === 1);
    s.configure({ maxNumSeqs: 2 });
    expect((await queued).status).toBe(200);
    ctrl.abort();
    await hanging;
  });

  it('keeps only the last 1000 request bodies, oldest first', async () => {
    const s = await sim();
    const total = 1005;
    const batchSize = 100;
    for (let i = 0; i < total; i += batchSize) {
      const batch: Array<Promise<unknown>> = [];
      for (let j = i; j < Math.min(i + batchSize, total); j++) {
        batch.push(chat(s, user(`n${j}`, { max_tokens: 1, n_index: j })).then((r) => r.text()));
      }
      await Promise.all(batch);
    }
    const { requests, received } = s.stats();
    expect(received).toBe(total);
    expect(requests).toHaveLength(1000);
    const indices = new Set(requests.map((r) => (r.body as { n_index: number }).n_index));
    expect(indices.size).toBe(1000);
    // Arrival order may interleave within a batch, but the 5 dropped are from the first batch.
    const dropped = Array.from({ length: total }, (_, i) => i).filter((i) => !indices.has(i));
    expect(dropped).toHaveLength(5);
    expect(Math.max(...dropped)).toBeLessThan(batchSize);
    for (let k = 1; k < requests.length; k++) expect(requests[k].at).toBeGreaterThanOrEqual(requests[k - 1].at);
  }, 60_000);
});

describe('vllm-sim: DeepSeek-OCR latency', () => {
  /** A DeepSeek-OCR request for a blank PNG of this size, the way the worker sends it. */
  async function ocrRequest(s: Simulator, size: number): Promise<{ ms: number; promptTokens: number }> {
    const png = await sharp({ create: { width: size, height: size, channels: 3, background: '#fff' } }).png().toBuffer();
    const t0 = performance.now();
    const body = await completion(s, {
      model: 'deepseek-ai/DeepSeek-OCR',
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: `data:image/png;base64,${png.toString('base64')}` } }, { type: 'text', text: 'Free OCR.' }] }],
      temperature: 0,
      skip_special_tokens: false,
    });
    return { ms: performance.now() - t0, promptTokens: body.usage.prompt_tokens };
  }

  it('charges the prefill of each mode\'s vision tokens (tiny 64 … large 400) to the time to first token', async () => {
    const s = await sim({ visionTokenMs: 2 });
    await ocrRequest(s, 512); // warm-up: the first request also pays connection set-up and JIT
    const tiny = await ocrRequest(s, 512);
    const large = await ocrRequest(s, 1280);
    expect(large.promptTokens - tiny.promptTokens).toBe(400 - 64);
    // The simulator's latency model, not a speed claim: 336 more vision tokens at 2 ms each.
    expect(tiny.ms).toBeGreaterThanOrEqual(64 * 2);
    expect(large.ms).toBeGreaterThanOrEqual(400 * 2);
    expect(large.ms - tiny.ms).toBeGreaterThanOrEqual((400 - 64) * 2 - 50);
  });
});

describe('vllm-sim: CLI arguments', () => {
  it('parses flags, repeatable --model, --flag=value and SIM_* fallbacks', () => {
    const { options, help } = parseSimArgs(
      ['--port', '8001', '--ttft-ms', '50', '--itl-ms=10', '--max-num-seqs', '8', '--max-waiting', 'inf',
        '--fail-rate', '0.1', '--fail-mode', 'rate_limit', '--model', 'a', '--model=b'],
      { SIM_SEED: '3', SIM_PORT: '9999', SIM_MODELS: 'ignored' },
    );
    expect(help).toBe(false);
    expect(options).toEqual({
      port: 8001,
      ttftMs: 50,
      itlMs: 10,
      maxNumSeqs: 8,
      maxWaiting: Infinity,
      failRate: 0.1,
      failMode: 'rate_limit',
      models: ['a', 'b'],
      seed: 3,
    });
    expect(parseSimArgs([], { SIM_MODELS: 'x, y', SIM_MAX_WAITING: '100' }).options).toEqual({
      models: ['x', 'y'],
      maxWaiting: 100,
    });
  });

  it('rejects unknown flags and bad values', () => {
    expect(() => parseSimArgs(['--bogus', '1'])).toThrow(/unknown argument/);
    expect(() => parseSimArgs(['--port', 'abc'])).toThrow(/--port/);
    expect(() => parseSimArgs(['--fail-mode', 'explode'])).toThrow(/--fail-mode/);
    expect(() => parseSimArgs(['--seed'])).toThrow(/missing value/);
  });

  it('startSimulator validates options', async () => {
    await expect(startSimulator({ port: 0, maxNumSeqs: 0 })).rejects.toThrow(/maxNumSeqs/);
    await expect(startSimulator({ port: 0, failRate: 2 })).rejects.toThrow(/failRate/);
  });
});
