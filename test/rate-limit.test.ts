import type { RunningGateway } from '../apps/gateway/src/gateway.bootstrap';
import { chatBody, createStack, getJob, submitChat, waitFor, waitTerminal, type SubmitResult, type TestStack } from './support/stack';
import { postJson } from './support/http';
import { PrivateRedis } from './support/private-redis';

interface Submitted extends SubmitResult {
  headers: Headers;
}

/**
 * Per-key rate limits (token buckets in Redis), tokens per minute, the concurrent-jobs cap, and
 * the documented policy when Redis is unreachable. This file's apps use a Redis of its own, so
 * stopping it touches nobody else.
 */
describe('rate limits', () => {
  let redis: PrivateRedis;
  let stack: TestStack;
  let gw: RunningGateway;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    stack = await createStack({ env: { REDIS_URL: redis.url }, sim: { itlMs: 20 } });
    gw = await stack.startGateway();
    await Promise.all([stack.startWorker(), stack.startRecorder()]);
  });
  afterAll(async () => {
    // Back up (empty) so the stack's own clean-up can talk to it, then gone for good.
    await redis?.up().catch(() => undefined);
    await stack?.stop();
    await redis?.kill();
  });

  async function keyFor(clientId: string, limits: Record<string, unknown>): Promise<Record<string, string>> {
    const res = await postJson(gw.url, '/admin/api-keys', { client_id: clientId, service_name: 'rate-test', ...limits }, stack.adminAuth());
    expect(res.status).toBe(201);
    return { 'x-api-key': res.body.key as string };
  }

  async function submit(headers: Record<string, string>, body = chatBody('hi', { max_tokens: 4 })): Promise<Submitted> {
    const res = await fetch(`${gw.url}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  }

  /** A burst of 11 against 60/min with burst 10: exactly 10 pass, the 11th is refused with headers. */
  async function expectBurst(headers: Record<string, string>): Promise<string[]> {
    // Sent at once: the bucket refills one request a second, so a slow sequence would earn more.
    const results = await Promise.all(Array.from({ length: 11 }, () => submit(headers)));
    const passed = results.filter((r) => r.status === 202);
    const refusedAll = results.filter((r) => r.status === 429);
    expect([passed.length, refusedAll.length]).toEqual([10, 1]);
    expect(passed.map((r) => Number(r.headers.get('x-ratelimit-remaining-requests'))).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    passed.forEach((r) => {
      expect(r.headers.get('x-ratelimit-limit-requests')).toBe('60');
      expect(r.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+(ms|s)$/);
      expect(r.headers.get('x-ratelimit-limit-tokens')).toEqual(expect.any(String));
      expect(r.headers.get('x-ratelimit-remaining-tokens')).toEqual(expect.any(String));
      expect(r.headers.get('x-ratelimit-reset-tokens')).toEqual(expect.any(String));
    });
    const refused = refusedAll[0];
    expect(refused.body).toEqual({ code: 'rate_limited', detail: 'Rate limit reached: 60 requests per minute (burst 10)' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(refused.headers.get('x-ratelimit-limit-requests')).toBe('60');
    return passed.map((r) => r.body.request_id as string);
  }

  it('a burst sees exactly the allowed count pass (burst 10 at 60/min), then 429 with Retry-After and headers', async () => {
    await expectBurst(await keyFor('bursty', { rate_limit_rpm: 60, rate_limit_burst: 10 }));
  });

  it('one key\'s limit does not touch another key', async () => {
    const a = await keyFor('calm-a', { rate_limit_rpm: 60, rate_limit_burst: 1 });
    const b = await keyFor('calm-b', { rate_limit_rpm: 60, rate_limit_burst: 1 });
    expect((await submit(a)).status).toBe(202);
    expect((await submit(a)).status).toBe(429);
    expect((await submit(b)).status).toBe(202);
  });

  it('counts tokens per minute (max_tokens plus the prompt estimate)', async () => {
    const key = await keyFor('tokeny', { rate_limit_tpm: 100 });
    const body = chatBody('x', { max_tokens: 40 }); // 40 + 1 (prompt) + 4 (framing) = 45
    const first = await submit(key, body);
    expect(first.status).toBe(202);
    expect(first.headers.get('x-ratelimit-limit-tokens')).toBe('100');
    expect(first.headers.get('x-ratelimit-remaining-tokens')).toBe('55');
    expect((await submit(key, body)).status).toBe(202);
    const third = await submit(key, body);
    expect(third.status).toBe(429);
    expect(third.body.detail).toBe('Rate limit reached: 100 tokens per minute');
    expect(third.headers.get('x-ratelimit-remaining-tokens')).toBe('10');
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('refuses a single request larger than the tokens-per-minute limit with 400 (retrying would not help)', async () => {
    const key = await keyFor('tokeny-2', { rate_limit_tpm: 100 });
    const res = await submit(key, chatBody('x', { max_tokens: 500 }));
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_request');
  });

  it('caps unfinished jobs per client and frees the slot when a job finishes', async () => {
    const key = await keyFor('conc', { max_concurrent_jobs: 2 });
    const slow = () => submit(key, chatBody('slow [[sim:tokens=100]]', { max_tokens: 100 }));
    const a = await slow();
    const b = await slow();
    expect([a.status, b.status]).toEqual([202, 202]);
    const c = await slow();
    expect(c.status).toBe(429);
    expect(c.body.code).toBe('concurrency_limited');
    expect(c.headers.get('retry-after')).toBe('1');
    for (const r of [a, b]) expect((await waitTerminal(gw.url, r.body.request_id as string, 30_000, key)).status).toBe('succeeded');
    expect((await submit(key)).status).toBe(202);
  });

  describe('with Redis stopped', () => {
    beforeAll(() => redis.kill());

    it('keeps limiting from memory (same burst) and loses no accepted job', async () => {
      // The key is created with Redis already down: Postgres holds keys, Redis only counts.
      const key = await keyFor('no-redis', { rate_limit_rpm: 60, rate_limit_burst: 10 });
      const accepted = await expectBurst(key);
      // Every accepted job finishes and can be polled (hot copies are gone: Postgres answers).
      for (const id of accepted) {
        const done = await waitTerminal(gw.url, id, 60_000, key);
        expect(done.status).toBe('succeeded');
      }
      const rows = await stack.pg.query('SELECT count(*)::int AS n FROM jobs WHERE request_id = ANY($1) AND status = $2', [accepted, 'succeeded']);
      expect(rows.rows[0].n).toBe(10);
    });

    it('caps unfinished jobs from Postgres: a second job while one runs is 429 concurrency_limited, and the slot frees when it finishes', async () => {
      const key = await keyFor('no-redis-conc', { max_concurrent_jobs: 1 });
      // About 6 s on the simulator (300 tokens at 20 ms): it is still running when the second comes.
      const first = await submit(key, chatBody('slow without redis [[sim:tokens=300]]', { max_tokens: 300 }));
      expect(first.status).toBe(202);
      const id = first.body.request_id as string;
      // The fallback counts recorded jobs: wait until the recorder has written this one, unfinished.
      await waitFor(async () => {
        const r = await stack.pg.query('SELECT status FROM jobs WHERE request_id = $1', [id]);
        return r.rows[0] && ['queued', 'running'].includes(r.rows[0].status as string);
      }, 'the first job recorded, unfinished', 30_000, 20);
      const second = await submit(key);
      expect(second.status).toBe(429);
      expect(second.body).toEqual({ code: 'concurrency_limited', detail: 'Too many unfinished jobs: at most 1 at once' });
      expect(second.headers.get('retry-after')).toBe('1');
      expect((await waitTerminal(gw.url, id, 60_000, key)).status).toBe('succeeded');
      // Finished in Postgres: the slot is free again.
      const third = await submit(key);
      expect(third.status).toBe(202);
      expect((await waitTerminal(gw.url, third.body.request_id as string, 60_000, key)).status).toBe('succeeded');
    });

    it('still authenticates users (JWT) and admins, and polls answer', async () => {
      const res = await submitChat(gw.url, chatBody('jwt without redis'), stack.auth('someone'));
      expect(res.status).toBe(202);
      const id = res.body.request_id as string;
      await waitFor(async () => (await getJob(gw.url, id, stack.auth('someone'))).body.status === 'succeeded', `job ${id}`, 60_000, 200);
    });
  });
});
