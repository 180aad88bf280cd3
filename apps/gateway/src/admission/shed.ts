import { POOLS, type PoolName, type Priority } from '@gantry/contracts';

/**
 * Load shedding by priority (issue 6): a pool's backlog past a share of its limit refuses new
 * jobs of that priority. Low goes first at 50%, normal at 75%, high only at 100%, so under
 * pressure the remaining room is kept for what matters most.
 */
export const SHED_FROM: Record<Priority, number> = { low: 0.5, normal: 0.75, high: 1 };

export function isShed(backlog: number, limit: number, priority: Priority): boolean {
  return limit > 0 && backlog >= limit * SHED_FROM[priority];
}

/** `ADMISSION_MAX_BACKLOG` (`gemma=10000,deepseek-ocr=2000`) → limit per pool; 0 or absent = none. */
export function parsePoolLimits(spec: string): Map<PoolName, number> {
  const limits = new Map<PoolName, number>();
  for (const part of spec.split(',').filter(Boolean)) {
    const [pool, n] = part.split('=');
    if (!(POOLS as readonly string[]).includes(pool)) throw new Error(`ADMISSION_MAX_BACKLOG names an unknown pool ${pool} (known: ${POOLS.join(', ')})`);
    limits.set(pool as PoolName, Number(n));
  }
  return limits;
}
