import { backoffMs } from './server';

describe('backoffMs', () => {
  afterEach(() => jest.restoreAllMocks());

  const capOf = (attempt: number, base: number, max: number) => Math.min(max, base * 2 ** Math.max(0, attempt - 1));

  it('stays within [cap/2, cap] for many attempts and random draws', () => {
    const base = 250;
    const max = 30_000;
    for (let attempt = 1; attempt <= 12; attempt++) {
      const cap = capOf(attempt, base, max);
      for (let i = 0; i < 200; i++) {
        const d = backoffMs(attempt, base, max);
        expect(d).toBeGreaterThanOrEqual(cap / 2);
        expect(d).toBeLessThanOrEqual(cap);
        expect(d).toBeLessThanOrEqual(max);
      }
    }
  });

  it('uses the base delay as cap on the first attempt (lowest draw gives base/2, highest gives base)', () => {
    jest.spyOn(Math, 'random').mockReturnValue(0);
    expect(backoffMs(1, 100, 10_000)).toBe(50);
    jest.spyOn(Math, 'random').mockReturnValue(0.999999);
    expect(backoffMs(1, 100, 10_000)).toBe(100);
  });

  it('doubles the cap with each attempt', () => {
    jest.spyOn(Math, 'random').mockReturnValue(0.999999);
    expect([1, 2, 3, 4].map((a) => backoffMs(a, 100, 10_000))).toEqual([100, 200, 400, 800]);
  });

  it('is bounded by maxMs however many attempts were made', () => {
    jest.spyOn(Math, 'random').mockReturnValue(0.999999);
    expect(backoffMs(8, 100, 1_000)).toBe(1_000);
    expect(backoffMs(50, 100, 1_000)).toBe(1_000);
    expect(backoffMs(2_000, 100, 1_000)).toBe(1_000);
    jest.spyOn(Math, 'random').mockReturnValue(0);
    expect(backoffMs(2_000, 100, 1_000)).toBe(500);
  });

  it('treats attempt 0 like attempt 1 (no cap below the base)', () => {
    jest.spyOn(Math, 'random').mockReturnValue(0.999999);
    expect(backoffMs(0, 100, 10_000)).toBe(100);
  });

  it('returns whole milliseconds', () => {
    for (let i = 0; i < 100; i++) expect(Number.isInteger(backoffMs(3, 333, 10_000))).toBe(true);
  });
});
