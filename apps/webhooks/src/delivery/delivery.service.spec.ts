import { nextDelayMs, tierFor } from './delivery.service';

describe('retry schedule', () => {
  it('follows 5 s, 5 min, 30 min, … 24 h with ±10 % jitter, then gives up', () => {
    const expected = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400];
    expected.forEach((seconds, i) => {
      const ms = nextDelayMs(i + 1)!;
      expect(ms).toBeGreaterThanOrEqual(seconds * 900);
      expect(ms).toBeLessThanOrEqual(seconds * 1100);
    });
    expect(nextDelayMs(10)).toBeNull();
  });

  it('waits at least as long as Retry-After asks', () => {
    expect(nextDelayMs(1, 60_000)).toBe(60_000);
  });

  it('puts a delay on the longest tier not longer than it', () => {
    expect(tierFor(5)).toBe('5s');
    expect(tierFor(60)).toBe('5s');
    expect(tierFor(300)).toBe('5m');
    expect(tierFor(86400 * 2)).toBe('24h');
  });
});
