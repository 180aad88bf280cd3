import { CircuitBreaker } from './circuit-breaker';

function fakeClock(start = 10_000) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

function opened(threshold = 3, cooldownMs = 1_000) {
  const clock = fakeClock();
  const breaker = new CircuitBreaker(threshold, cooldownMs, clock.now);
  for (let i = 0; i < threshold; i++) {
    expect(breaker.allow()).toBe(true);
    breaker.failure();
  }
  return { clock, breaker };
}

describe('CircuitBreaker', () => {
  it('stays closed below the failure threshold', () => {
    const clock = fakeClock();
    const b = new CircuitBreaker(3, 1_000, clock.now);
    b.failure();
    b.failure();
    expect(b.state).toBe('closed');
    expect(b.allow()).toBe(true);
    expect(b.allow()).toBe(true);
    expect(b.retryInMs()).toBe(0);
  });

  it('counts only consecutive failures: a success resets the count', () => {
    const clock = fakeClock();
    const b = new CircuitBreaker(3, 1_000, clock.now);
    b.failure();
    b.failure();
    b.success();
    b.failure();
    b.failure();
    expect(b.state).toBe('closed');
    expect(b.allow()).toBe(true);
    b.failure();
    expect(b.state).toBe('open');
  });

  it('opens after threshold consecutive failures and denies calls during the cooldown', () => {
    const { clock, breaker } = opened(3, 1_000);
    expect(breaker.state).toBe('open');
    expect(breaker.allow()).toBe(false);
    expect(breaker.retryInMs()).toBe(1_000);
    clock.advance(999);
    expect(breaker.allow()).toBe(false);
    expect(breaker.retryInMs()).toBe(1);
  });

  it('allows exactly one trial call after the cooldown', () => {
    const { clock, breaker } = opened(3, 1_000);
    clock.advance(1_000);
    expect(breaker.state).toBe('half-open');
    expect(breaker.retryInMs()).toBe(0);
    expect(breaker.allow()).toBe(true);
    expect(breaker.allow()).toBe(false);
    expect(breaker.allow()).toBe(false);
  });

  it('closes when the trial call succeeds', () => {
    const { clock, breaker } = opened(3, 1_000);
    clock.advance(1_000);
    expect(breaker.allow()).toBe(true);
    breaker.success();
    expect(breaker.state).toBe('closed');
    expect(breaker.allow()).toBe(true);
    expect(breaker.allow()).toBe(true);
    // Back to needing a full run of failures to open again.
    breaker.failure();
    breaker.failure();
    expect(breaker.allow()).toBe(true);
  });

  it('reopens for a fresh cooldown when the trial call fails', () => {
    const { clock, breaker } = opened(3, 1_000);
    clock.advance(1_500);
    expect(breaker.allow()).toBe(true);
    breaker.failure();
    expect(breaker.state).toBe('open');
    expect(breaker.allow()).toBe(false);
    expect(breaker.retryInMs()).toBe(1_000);
    clock.advance(1_000);
    expect(breaker.allow()).toBe(true);
    expect(breaker.allow()).toBe(false);
  });
});
