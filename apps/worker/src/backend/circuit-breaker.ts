/**
 * Per-pool circuit breaker: after `threshold` consecutive transient failures the circuit opens
 * for `cooldownMs`, calls fail fast, then one trial call decides whether it closes again.
 */
export class CircuitBreaker {
  private failures = 0;
  private openUntil = 0;
  private trial = false;

  constructor(
    private readonly threshold = 5,
    private readonly cooldownMs = 2_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when a call may go out now. */
  allow(): boolean {
    if (this.failures < this.threshold) return true;
    if (this.now() < this.openUntil || this.trial) return false;
    this.trial = true;
    return true;
  }

  /** Milliseconds until the circuit lets a trial call through. */
  retryInMs(): number {
    return Math.max(0, this.openUntil - this.now());
  }

  success(): void {
    this.failures = 0;
    this.trial = false;
  }

  /** The call ended without saying anything about the backend (e.g. aborted): free the trial slot. */
  release(): void {
    this.trial = false;
  }

  failure(): void {
    this.failures++;
    this.trial = false;
    if (this.failures >= this.threshold) this.openUntil = this.now() + this.cooldownMs;
  }

  get state(): 'closed' | 'open' | 'half-open' {
    if (this.failures < this.threshold) return 'closed';
    return this.now() < this.openUntil ? 'open' : 'half-open';
  }
}
