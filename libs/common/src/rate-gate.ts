/**
 * Lets an action through at most once per `everyMs`: for warnings about an outage that would
 * otherwise be logged once per request (Redis down is a burst of identical failures).
 */
export class RateGate {
  private last = Number.NEGATIVE_INFINITY;

  constructor(private readonly everyMs: number) {}

  /** True when the action may run now (and starts a new interval). */
  open(now = Date.now()): boolean {
    if (now - this.last < this.everyMs) return false;
    this.last = now;
    return true;
  }
}
