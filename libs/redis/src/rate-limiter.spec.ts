import { LocalRateLimiter, refill } from './rate-limiter';

describe('LocalRateLimiter (the Redis-down fallback)', () => {
  const requests = { key: 'k', perMinute: 60, capacity: 10 };

  it('lets exactly the burst through at once, then refills one per second at 60/min', () => {
    let now = 0;
    const limiter = new LocalRateLimiter(100, () => now);
    const verdicts = Array.from({ length: 11 }, () => limiter.admit({ requests }).verdict);
    expect(verdicts).toEqual([...Array(10).fill('admitted'), 'requests']);
    const refused = limiter.admit({ requests });
    expect(refused.requests).toMatchObject({ remaining: 0, retryAfterMs: 1000 });
    now = 999;
    expect(limiter.admit({ requests }).verdict).toBe('requests');
    now = 1000;
    expect(limiter.admit({ requests }).verdict).toBe('admitted');
  });

  it('takes from no bucket when one of them refuses', () => {
    const limiter = new LocalRateLimiter(100, () => 0);
    const tokens = { key: 't', perMinute: 100, capacity: 100, cost: 60 };
    expect(limiter.admit({ requests, tokens }).verdict).toBe('admitted');
    const second = limiter.admit({ requests, tokens });
    expect(second.verdict).toBe('tokens');
    expect(second.requests.remaining).toBe(9);
    expect(limiter.peek({ requests, tokens }).tokens?.remaining).toBe(40);
  });

  it('keeps buckets apart by key', () => {
    const limiter = new LocalRateLimiter(100, () => 0);
    const one = { key: 'a', perMinute: 60, capacity: 1 };
    expect(limiter.admit({ requests: one }).verdict).toBe('admitted');
    expect(limiter.admit({ requests: one }).verdict).toBe('requests');
    expect(limiter.admit({ requests: { ...one, key: 'b' } }).verdict).toBe('admitted');
  });

  it('refill caps at the capacity', () => {
    expect(refill({ tokens: 2, at: 0 }, requests, 60_000)).toBe(10);
    expect(refill(undefined, requests, 0)).toBe(10);
  });
});
