import { MAX_RETRY_AFTER_MS, retryAfterMs } from './http-sender';
import { nextRetry, tierFor } from './delivery.service';

describe('retry schedule', () => {
  afterEach(() => jest.restoreAllMocks());

  it('follows 5 s, 5 min, 30 min, … 24 h with ±10 % jitter, then gives up', () => {
    const expected = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400];
    expected.forEach((seconds, i) => {
      const { delayMs } = nextRetry(i + 1)!;
      expect(delayMs).toBeGreaterThanOrEqual(seconds * 900);
      expect(delayMs).toBeLessThanOrEqual(seconds * 1100);
    });
    expect(nextRetry(10)).toBeNull();
  });

  it('chooses the topic from the nominal step, not the jittered delay', () => {
    // The lowest jitter: 0.9 × 300 s = 270 s, still the 5 min tier (not the head of the 5 s one).
    jest.spyOn(Math, 'random').mockReturnValue(0);
    expect(nextRetry(2)).toEqual({ delayMs: 270_000, tier: '5m' });
    expect(nextRetry(1)).toEqual({ delayMs: 4_500, tier: '5s' });
    expect(nextRetry(9)).toEqual({ delayMs: 0.9 * 86_400_000, tier: '24h' });
    // The highest: 1.1 × 5 s stays on the 5 s tier.
    jest.spyOn(Math, 'random').mockReturnValue(0.999999);
    expect(nextRetry(1)!.tier).toBe('5s');
    expect(nextRetry(2)!.tier).toBe('5m');
  });

  it('waits at least as long as Retry-After asks, on the longest tier not longer than that', () => {
    expect(nextRetry(1, 60_000)).toEqual({ delayMs: 60_000, tier: '5s' });
    expect(nextRetry(1, 3_600_000)).toEqual({ delayMs: 3_600_000, tier: '30m' });
    // Shorter than the step: the step (and its tier) wins.
    expect(nextRetry(3, 60_000)!.tier).toBe('30m');
    expect(nextRetry(3, 60_000)!.delayMs).toBeGreaterThanOrEqual(1_620_000);
  });

  it('caps a huge Retry-After at 24 h', () => {
    expect(nextRetry(1, 365 * 86_400_000)).toEqual({ delayMs: MAX_RETRY_AFTER_MS, tier: '24h' });
    expect(retryAfterMs('999999999999')).toBe(MAX_RETRY_AFTER_MS);
    expect(retryAfterMs(new Date(Date.now() + 40 * 86_400_000).toUTCString())).toBe(MAX_RETRY_AFTER_MS);
    expect(retryAfterMs('120')).toBe(120_000);
    expect(retryAfterMs('-5')).toBe(0);
    expect(retryAfterMs('soon')).toBeUndefined();
  });

  it('puts a nominal delay on the longest tier not longer than it', () => {
    expect(tierFor(5)).toBe('5s');
    expect(tierFor(60)).toBe('5s');
    expect(tierFor(300)).toBe('5m');
    expect(tierFor(86400 * 2)).toBe('24h');
  });
});
