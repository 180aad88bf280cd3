import { randomUUID } from 'node:crypto';
import OpenAI from 'openai';
import type { RunningGateway } from '../apps/gateway/src/gateway.bootstrap';
import { call, postJson, type HttpResult } from './support/http';
import { metricValue, scrape } from './support/operations';
import { PrivateRedis } from './support/private-redis';
import { chatBody, createStack, getJob, waitFor, waitTerminal, type TestStack } from './support/stack';

type Completion = { choices: Array<{ message: { content: string } }> };
const contentOf = (result: unknown) => (result as Completion).choices[0].message.content;
/** A deterministic request: only these are cacheable. */
const det = (content: string, extra: Record<string, unknown> = {}) => chatBody(content, { temperature: 0, ...extra });

/**
 * The Redis response cache (README "Response cache"): deterministic chat answers replayed per
 * tenant at POST /api/chat and /v1/chat/completions, recorded as jobs, never reaching the backend.
 */
describe('response cache', () => {
  let stack: TestStack;
  let gw: RunningGateway;

  beforeAll(async () => {
    stack = await createStack({ sim: { itlMs: 1 } });
    gw = await stack.startGateway();
    await Promise.all([stack.startWorker(), stack.startRecorder()]);
  });
  afterAll(() => stack?.stop());

  const submit = (body: unknown, clientId: string, extra: Record<string, string> = {}) => postJson(gw.url, '/api/chat', body, stack.auth(clientId, extra));
  const stats = async (clientId: string) => (await call(gw.url, 'GET', '/api/ai/cache/stats', stack.auth(clientId))).body;
  /** Runs `body` to success for `clientId` and waits until the worker has stored its answer. */
  async function prime(body: unknown, clientId: string, entriesAfter = 1): Promise<{ res: HttpResult; content: string }> {
    const res = await submit(body, clientId);
    expect(res.status).toBe(202);
    expect(res.headers.get('x-gantry-cache')).toBe('miss');
    const job = await waitTerminal(gw.url, res.body.request_id as string, 30_000, stack.auth(clientId));
    expect(job.status).toBe('succeeded');
    expect(job.from_cache).toBeUndefined();
    await waitFor(async () => (await stats(clientId)).total_cache_entries === entriesAfter, `${clientId}'s answer to be stored`);
    return { res, content: contentOf(job.result) };
  }

  it('answers a second identical temperature-0 submit from the cache: a new, already succeeded job with the same answer, recorded, and no backend call', async () => {
    const body = det(`cache me ${randomUUID()} [[sim:tokens=12]]`);
    const { res: first, content } = await prime(body, 'app-a');
    const received = stack.sim.stats().received;

    const second = await submit(body, 'app-a');
    expect(second.status).toBe(202);
    expect(second.headers.get('x-gantry-cache')).toBe('hit');
    expect(second.body).toEqual({ request_id: expect.any(String), status: 'succeeded', message: 'Answered from the response cache', from_cache: true });
    expect(second.body.request_id).not.toBe(first.body.request_id);
    // The first poll already has it (hot copy), with no time spent running.
    const polled = (await getJob(gw.url, second.body.request_id as string, stack.auth('app-a'))).body;
    expect(polled).toMatchObject({ status: 'succeeded', from_cache: true, attempts: 0, client_id: 'app-a', kind: 'chat', pool: 'gemma' });
    expect(contentOf(polled.result)).toBe(content);
    expect(polled.timings.run_ms).toBe(0);
    // Recorded like any job: a row written by the recorder from the Kafka event.
    const row = await waitFor(
      async () => (await stack.pg.query<{ status: string; from_cache: boolean; result: unknown }>('SELECT status, from_cache, result FROM jobs WHERE request_id = $1', [second.body.request_id])).rows[0],
      'the cache hit to be recorded',
    );
    expect(row.status).toBe('succeeded');
    expect(row.from_cache).toBe(true);
    expect(contentOf(row.result)).toBe(content);
    // Long-poll of a finished job answers at once with the recorded view.
    const res = await fetch(`${gw.url}/api/jobs/${second.body.request_id as string}?wait=30`, { headers: stack.auth('app-a') });
    expect(((await res.json()) as { from_cache?: boolean }).from_cache).toBe(true);
    expect(stack.sim.stats().received).toBe(received);
  });

  it('never caches a sampled request (temperature 0.7 or none)', async () => {
    for (const extra of [{ temperature: 0.7 }, {}]) {
      const body = chatBody(`sampled ${randomUUID()}`, extra);
      const received = stack.sim.stats().received;
      for (let i = 0; i < 2; i++) {
        const res = await submit(body, 'app-sampled');
        expect(res.headers.get('x-gantry-cache')).toBeNull();
        const job = await waitTerminal(gw.url, res.body.request_id as string, 30_000, stack.auth('app-sampled'));
        expect(job.from_cache).toBeUndefined();
      }
      expect(stack.sim.stats().received).toBe(received + 2);
    }
    expect((await stats('app-sampled')).total_cache_entries).toBe(0);
  });

  it('keeps tenants apart: another client’s identical request is a miss and runs', async () => {
    const body = det(`shared question ${randomUUID()}`);
    await prime(body, 'tenant-1');
    const received = stack.sim.stats().received;
    const other = await submit(body, 'tenant-2');
    expect(other.headers.get('x-gantry-cache')).toBe('miss');
    const job = await waitTerminal(gw.url, other.body.request_id as string, 30_000, stack.auth('tenant-2'));
    expect(job.from_cache).toBeUndefined();
    expect(stack.sim.stats().received).toBe(received + 1);
  });

  it('Cache-Control: no-cache skips the lookup (and still stores); no-store runs and stores nothing', async () => {
    const body = det(`fresh please ${randomUUID()}`);
    await prime(body, 'app-cc');
    const received = stack.sim.stats().received;
    const fresh = await submit(body, 'app-cc', { 'cache-control': 'no-cache' });
    expect(fresh.headers.get('x-gantry-cache')).toBe('miss');
    expect((await waitTerminal(gw.url, fresh.body.request_id as string, 30_000, stack.auth('app-cc'))).from_cache).toBeUndefined();
    expect(stack.sim.stats().received).toBe(received + 1);

    const secret = det(`do not keep ${randomUUID()}`);
    for (let i = 0; i < 2; i++) {
      const res = await submit(secret, 'app-nostore', { 'cache-control': 'no-store' });
      expect(res.headers.get('x-gantry-cache')).toBe('miss');
      expect((await waitTerminal(gw.url, res.body.request_id as string, 30_000, stack.auth('app-nostore'))).status).toBe('succeeded');
    }
    expect((await stats('app-nostore')).total_cache_entries).toBe(0);
    expect(stack.sim.stats().received).toBe(received + 3);
  });

  it('/v1/chat/completions: a hit answers from the cache, plain and streamed, under the x-request-id of a recorded job', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: stack.auth('sync-app').authorization.replace(/^Bearer /, ''), maxRetries: 0 });
    const request = { model: 'gemma-3-4b-it', messages: [{ role: 'user' as const, content: `sync cached ${randomUUID()} [[sim:tokens=15]]` }], max_tokens: 10, temperature: 0 };
    const first = await client.chat.completions.create(request).withResponse();
    expect(first.response.headers.get('x-gantry-cache')).toBe('miss');
    await waitFor(async () => (await stats('sync-app')).total_cache_entries === 1, 'the answer to be stored');
    const received = stack.sim.stats().received;

    const hit = await client.chat.completions.create(request).withResponse();
    expect(hit.response.headers.get('x-gantry-cache')).toBe('hit');
    expect(hit.data.choices[0].message.content).toBe(first.data.choices[0].message.content);
    expect(hit.data.usage).toEqual(first.data.usage);
    const id = hit.response.headers.get('x-request-id')!;
    expect(id).not.toBe(first.response.headers.get('x-request-id'));
    const job = await waitFor(async () => {
      const { body } = await getJob(gw.url, id, stack.auth('sync-app'));
      return body.status === 'succeeded' ? body : null;
    }, 'the hit to be recorded');
    expect(job.from_cache).toBe(true);

    // Streamed: the same request (stream fields are not part of the key) replayed as chunks.
    const streamed = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } }).withResponse();
    expect(streamed.response.headers.get('x-gantry-cache')).toBe('hit');
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of streamed.data) {
      expect(chunk.object).toBe('chat.completion.chunk');
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(first.data.choices[0].message.content);
    expect(finish).toBe('length');
    expect(usage?.completion_tokens).toBe(10);
    expect(stack.sim.stats().received).toBe(received);
  });

  it('counts hits and misses per client in /api/ai/cache/stats and in gantry_cache_hits_total / gantry_cache_misses_total', async () => {
    const before = (await scrape(gw.url)).samples;
    const labels = { pool: 'gemma', route: '/api/chat' };
    const body = det(`counted ${randomUUID()}`);
    await prime(body, 'app-stats');
    for (let i = 0; i < 2; i++) expect((await submit(body, 'app-stats')).headers.get('x-gantry-cache')).toBe('hit');

    const own = await stats('app-stats');
    expect(own).toMatchObject({ total_cache_entries: 1, cache_hits: 2, cache_misses: 1, hit_rate_percent: 66.7, enabled: true, ttl_seconds: 86400 });
    expect(own.total_memory_kb).toBeGreaterThan(0);
    // An admin sees one client's with X-Client-ID, everyone's without.
    expect((await call(gw.url, 'GET', '/api/ai/cache/stats', stack.adminAuth({ 'x-client-id': 'app-stats' }))).body).toEqual(own);
    const all = (await call(gw.url, 'GET', '/api/ai/cache/stats', stack.adminAuth())).body;
    expect(all.total_cache_entries as number).toBeGreaterThanOrEqual(1);
    expect(all.cache_hits as number).toBeGreaterThanOrEqual(2);

    const after = (await scrape(gw.url)).samples;
    expect(metricValue(after, 'gantry_cache_hits_total', labels) - metricValue(before, 'gantry_cache_hits_total', labels)).toBe(2);
    expect(metricValue(after, 'gantry_cache_misses_total', labels) - metricValue(before, 'gantry_cache_misses_total', labels)).toBe(1);

    const memory = await call(gw.url, 'GET', '/api/ai/cache/memory', stack.auth('app-stats'));
    expect(memory.body).toMatchObject({ keys_count: 1, used_memory_bytes: expect.any(Number), total_memory_bytes: expect.any(Number) });
    const health = await call(gw.url, 'GET', '/api/ai/cache/health', stack.auth('app-stats'));
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'healthy', redis_connected: true, response_time_ms: expect.any(Number) });
  });

  it('DELETE clears the caller’s own entries only; by model and provider too', async () => {
    const body = det(`to clear ${randomUUID()}`);
    await prime(body, 'del-a');
    await prime(body, 'del-b');
    await prime(det(`second of b ${randomUUID()}`), 'del-b', 2);

    const cleared = await call(gw.url, 'DELETE', '/api/ai/cache', stack.auth('del-a'));
    expect(cleared.status).toBe(200);
    expect(cleared.body).toEqual({ status: 'success', cleared_keys: 1 });
    expect((await stats('del-a')).total_cache_entries).toBe(0);
    expect((await stats('del-b')).total_cache_entries).toBe(2);
    expect((await submit(body, 'del-a')).headers.get('x-gantry-cache')).toBe('miss');
    expect((await submit(body, 'del-b')).headers.get('x-gantry-cache')).toBe('hit');

    // Another client's scope cannot be named by a client.
    expect((await call(gw.url, 'DELETE', '/api/ai/cache', stack.auth('del-a', { 'x-client-id': 'del-b' }))).body).toMatchObject({ code: 'client_mismatch' });
    // By model: any alias of the pool's model, under `gantry` or the pool name.
    expect((await call(gw.url, 'DELETE', '/api/ai/cache/model/gemma/gemma', stack.auth('del-b'))).body).toEqual({ status: 'success', cleared_entries: 2 });
    expect((await stats('del-b')).total_cache_entries).toBe(0);
    expect((await call(gw.url, 'DELETE', '/api/ai/cache/provider/gantry', stack.auth('del-b'))).body).toEqual({ status: 'success', cleared_entries: 0 });

    for (const [path, status, code] of [
      ['/api/ai/cache/model/openai/gpt-4', 404, 'provider_not_found'],
      ['/api/ai/cache/provider/gemini', 404, 'provider_not_found'],
      ['/api/ai/cache/model/gantry/gpt-4', 404, 'model_not_found'],
      ['/api/ai/cache/model/gemma/deepseek-ocr', 404, 'model_not_found'],
      ['/api/ai/cache/model/gantry', 404, 'not_found'],
    ] as const) {
      const res = await call(gw.url, 'DELETE', path, stack.auth('del-b'));
      expect([path, res.status, res.body.code]).toEqual([path, status, code]);
    }
    expect((await call(gw.url, 'GET', '/api/ai/cache/stats', {})).status).toBe(401);
  });
});

/** The entry's TTL, and Redis unreachable: the cache is best-effort, submits never fail because of it. */
describe('response cache: TTL and Redis down', () => {
  let redis: PrivateRedis;
  let stack: TestStack;
  let gw: RunningGateway;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    stack = await createStack({ env: { REDIS_URL: redis.url, CACHE_TTL_SECONDS: '1' }, sim: { itlMs: 1 } });
    gw = await stack.startGateway();
    await Promise.all([stack.startWorker(), stack.startRecorder()]);
  });
  afterAll(async () => {
    await redis?.up().catch(() => undefined);
    await stack?.stop();
    await redis?.kill();
  });

  it('an entry lives CACHE_TTL_SECONDS, then the same request is a miss', async () => {
    const body = det(`short lived ${randomUUID()}`);
    const first = await postJson(gw.url, '/api/chat', body, stack.auth('ttl-app'));
    await waitTerminal(gw.url, first.body.request_id as string, 30_000, stack.auth('ttl-app'));
    const [key] = await waitFor(async () => {
      const keys = await stack.redis.keys(`${stack.env.REDIS_PREFIX}cache:{ttl-app}:*`);
      return keys.length ? keys : null;
    }, 'the entry');
    const pttl = await stack.redis.pttl(key.slice(stack.env.REDIS_PREFIX.length));
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(1000);
    await new Promise((r) => setTimeout(r, 1500));
    const again = await postJson(gw.url, '/api/chat', body, stack.auth('ttl-app'));
    expect(again.headers.get('x-gantry-cache')).toBe('miss');
    expect((await waitTerminal(gw.url, again.body.request_id as string, 30_000, stack.auth('ttl-app'))).from_cache).toBeUndefined();
  });

  it('with Redis unreachable a cacheable submit is accepted as a miss and runs; the cache endpoints say so', async () => {
    await redis.kill();
    const res = await postJson(gw.url, '/api/chat', det(`no redis ${randomUUID()}`), stack.auth('down-app'));
    expect(res.status).toBe(202);
    expect(res.headers.get('x-gantry-cache')).toBe('miss');
    const job = await waitFor(async () => {
      const { body } = await getJob(gw.url, res.body.request_id as string, stack.auth('down-app'));
      return body.status === 'succeeded' ? body : null;
    }, 'the job (polls read Postgres)', 60_000, 200);
    expect(job.from_cache).toBeUndefined();
    const stats = await call(gw.url, 'GET', '/api/ai/cache/stats', stack.auth('down-app'));
    expect([stats.status, stats.body.code]).toEqual([503, 'cache_unavailable']);
    const health = await call(gw.url, 'GET', '/api/ai/cache/health', stack.auth('down-app'));
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ status: 'unhealthy', redis_connected: false });
  });
});
