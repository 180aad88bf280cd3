import type { PoolInfo } from './admin-client';

/** `██████░░░░` for `value` out of `max`; at least one block for any value above 0. */
export function bar(value: number, max: number, width: number): string {
  if (width <= 0) return '';
  const share = max > 0 ? Math.min(1, Math.max(0, value / max)) : 0;
  let full = Math.round(share * width);
  if (value > 0 && full === 0) full = 1;
  return '█'.repeat(full) + '░'.repeat(width - full);
}

/** `45s`, `12m05s`, `3h02m`, `2d04h`; `-` when unknown. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '-';
  const s = Math.max(0, Math.floor(seconds));
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86_400)}d${pad(Math.floor((s % 86_400) / 3600))}h`;
}

/**
 * Jobs finished per second over the last `windowMs`, from a pool's `total_processed` counter
 * sampled at each refresh (the counter comes from Postgres, so it is the same on every gateway).
 */
export class ThroughputMeter {
  private readonly samples = new Map<string, Array<{ at: number; total: number }>>();

  constructor(private readonly windowMs = 30_000) {}

  record(pool: string, total: number, at: number): void {
    const list = this.samples.get(pool) ?? [];
    // A counter that went down (another database, a reset) starts a new series.
    if (list.length && total < list[list.length - 1].total) list.length = 0;
    list.push({ at, total });
    while (list.length > 2 && at - list[1].at >= this.windowMs) list.shift();
    this.samples.set(pool, list);
  }

  /** null until two samples exist. */
  perSecond(pool: string): number | null {
    const list = this.samples.get(pool);
    if (!list || list.length < 2) return null;
    const first = list[0];
    const last = list[list.length - 1];
    const dt = (last.at - first.at) / 1000;
    return dt > 0 ? (last.total - first.total) / dt : null;
  }
}

/** A drain is over when the pool is stopped and nothing runs on any of its workers. */
export function isDrained(pool: Pick<PoolInfo, 'desired' | 'status' | 'in_flight'>): boolean {
  return pool.desired === 'stopped' && pool.status === 'stopped' && pool.in_flight === 0;
}

/** Next selected row after a key press, wrapping around. */
export function moveSelection(current: number, delta: number, count: number): number {
  if (count <= 0) return 0;
  return (((current + delta) % count) + count) % count;
}
