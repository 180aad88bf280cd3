/**
 * Values that only exist in a live object (a worker's scheduler, a Kafka admin client) are read
 * at scrape time from sources the apps register here. Registering returns the function that
 * removes the source again (call it when the app closes).
 */

/** What a worker's scheduler reports (`GantryKafkaServer.stats()` fits). */
export interface SchedulerSnapshot {
  inFlight: number;
  waiting: Record<string, number>;
}

export interface LagSample {
  /** Consumer group and topic as Kafka knows them (with the deployment prefix). */
  group: string;
  topic: string;
  /** Messages not yet committed by the group (summed over the topic's partitions). */
  lag: number;
}

interface SchedulerSource {
  pool: string;
  read: () => SchedulerSnapshot;
}

interface LagSource {
  read: () => Promise<LagSample[]>;
  refs: number;
  at: number;
  last: LagSample[];
  pending?: Promise<LagSample[]>;
}

const schedulers = new Set<SchedulerSource>();
const lagSources = new Map<string, LagSource>();

/** Lag is computed from broker offsets at scrape time; scrapes within this window share one read. */
export const LAG_CACHE_MS = 5_000;
/** A scrape never waits longer than this for the broker; it then reports the last known values. */
export const LAG_TIMEOUT_MS = 3_000;

export function registerSchedulerSource(pool: string, read: () => SchedulerSnapshot): () => void {
  const source = { pool, read };
  schedulers.add(source);
  return () => void schedulers.delete(source);
}

export function schedulerSnapshots(): Array<{ pool: string; stats: SchedulerSnapshot }> {
  return [...schedulers].map((s) => ({ pool: s.pool, stats: s.read() }));
}

/**
 * Adds a lag reader under `key` (one per consumer group). Apps that run in one process register
 * the same group more than once (the gateway watches every group, a worker its own): the first
 * reader is kept and the source lives until every registrant has removed it.
 */
export function registerLagSource(key: string, read: () => Promise<LagSample[]>): () => void {
  const existing = lagSources.get(key);
  if (existing) existing.refs++;
  else lagSources.set(key, { read, refs: 1, at: 0, last: [] });
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    const s = lagSources.get(key);
    if (s && --s.refs === 0) lagSources.delete(key);
  };
}

async function readCached(s: LagSource, now: number): Promise<LagSample[]> {
  if (now - s.at < LAG_CACHE_MS) return s.last;
  s.pending ??= s
    .read()
    .then((samples) => {
      s.last = samples;
      s.at = Date.now();
      return samples;
    })
    // An unreachable broker must not break the scrape: keep the last values (lag is then stale).
    .catch(() => s.last)
    .finally(() => (s.pending = undefined));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<LagSample[]>((resolve) => (timer = setTimeout(() => resolve(s.last), LAG_TIMEOUT_MS)));
  try {
    return await Promise.race([s.pending, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function lagSamples(now = Date.now()): Promise<LagSample[]> {
  const all = await Promise.all([...lagSources.values()].map((s) => readCached(s, now)));
  return all.flat();
}
