import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ChatMessage, PoolName, Usage } from '@gantry/contracts';

/** What determines a deterministic chat answer; the cache key is a hash of exactly this. */
export interface CacheableChat {
  clientId: string;
  pool: PoolName;
  /** Backend model name (aliases resolved, so `gemma` and `gemma-3-4b-it` share entries). */
  model: string;
  messages: ChatMessage[];
  max_tokens?: number;
  temperature: number;
}

/** One stored answer: the `chat.completion` and its usage, as the job recorded them. */
export interface CachedAnswer {
  result: unknown;
  usage: Usage | null;
  /** When it was stored (ISO 8601). */
  stored_at: string;
}

export interface CacheCounters {
  hits: number;
  misses: number;
}

/** Entries seen by a scan: how many and the bytes of their values. */
export interface CacheFootprint {
  entries: number;
  bytes: number;
}

/** Keys per SCAN step and per UNLINK: small steps, so a large cache never blocks Redis. */
const SCAN_COUNT = 500;

/** Redis glob metacharacters, escaped where a client id or model name enters a MATCH pattern. */
const escapeGlob = (s: string) => s.replace(/[*?[\]\\]/g, '\\$&');

/**
 * Gantry's response cache (README "Response cache"): deterministic chat answers per tenant in
 * Redis, under the apps' key prefix. Keys are `cache:{<client>}:<model>:<sha256>`: the braces
 * close the client id (which may itself contain `:`), so one client's MATCH pattern never
 * reaches another's keys. Hit and miss counters are a hash per client, `cache-stats:{<client>}`.
 * Clearing walks keys with SCAN and deletes them with UNLINK, a step at a time.
 */
export class ResponseCache {
  constructor(private readonly redis: Redis) {}

  /** The entry key of a request: per client and model, then a hash over a canonical JSON. */
  static keyOf(req: CacheableChat): string {
    // A fixed field order and only these fields: equal requests hash equally, whatever else they carried.
    const canonical = JSON.stringify({
      pool: req.pool,
      model: req.model,
      messages: req.messages.map((m) => ({ role: m.role, content: m.content })),
      max_tokens: req.max_tokens ?? null,
      temperature: req.temperature,
    });
    const hash = createHash('sha256').update(canonical).digest('hex');
    return `cache:{${req.clientId}}:${req.model}:${hash}`;
  }

  /** MATCH pattern (without the connection's prefix) of a client's entries, or every client's; optionally one model's. */
  static pattern(clientId?: string, model?: string): string {
    const client = clientId === undefined ? '*' : `{${escapeGlob(clientId)}}`;
    return `cache:${client}:${model === undefined ? '*' : `${escapeGlob(model)}:*`}`;
  }

  private static statsKey(clientId: string): string {
    return `cache-stats:{${clientId}}`;
  }

  async get(key: string): Promise<CachedAnswer | null> {
    const raw = await this.redis.get(key);
    return raw ? (JSON.parse(raw) as CachedAnswer) : null;
  }

  async put(key: string, answer: Omit<CachedAnswer, 'stored_at'>, ttlSeconds: number): Promise<void> {
    await this.redis.set(key, JSON.stringify({ ...answer, stored_at: new Date().toISOString() }), 'EX', ttlSeconds);
  }

  /** Counts a lookup's outcome for the client's stats. */
  async count(clientId: string, outcome: 'hits' | 'misses'): Promise<void> {
    await this.redis.hincrby(ResponseCache.statsKey(clientId), outcome, 1);
  }

  /** Hit and miss counters of one client, or summed over every client. */
  async counters(clientId?: string): Promise<CacheCounters> {
    const keys = clientId === undefined ? await this.scanKeys('cache-stats:*') : [ResponseCache.statsKey(clientId)];
    const total: CacheCounters = { hits: 0, misses: 0 };
    if (!keys.length) return total;
    const pipe = this.redis.pipeline();
    for (const k of keys) pipe.hmget(k, 'hits', 'misses');
    for (const [err, v] of (await pipe.exec()) ?? []) {
      if (err) throw err;
      const [hits, misses] = v as Array<string | null>;
      total.hits += Number(hits ?? 0);
      total.misses += Number(misses ?? 0);
    }
    return total;
  }

  /** How many entries match `pattern` and the bytes of their values. */
  async footprint(pattern: string): Promise<CacheFootprint> {
    const out: CacheFootprint = { entries: 0, bytes: 0 };
    await this.scan(pattern, async (keys) => {
      const pipe = this.redis.pipeline();
      for (const k of keys) pipe.strlen(k);
      for (const [err, n] of (await pipe.exec()) ?? []) {
        if (err) throw err;
        // A key that expired between SCAN and STRLEN is 0 bytes and no entry.
        if (Number(n) > 0) {
          out.entries++;
          out.bytes += Number(n);
        }
      }
    });
    return out;
  }

  /** Deletes every entry matching `pattern`; returns how many were deleted. */
  async clear(pattern: string): Promise<number> {
    let deleted = 0;
    await this.scan(pattern, async (keys) => {
      deleted += await this.redis.unlink(...keys);
    });
    return deleted;
  }

  private async scanKeys(pattern: string): Promise<string[]> {
    const all: string[] = [];
    await this.scan(pattern, async (keys) => void all.push(...keys));
    return all;
  }

  /**
   * SCAN over `pattern`, handing each step's keys (without the connection's prefix, so other
   * commands can use them) to `each`. ioredis does not prefix SCAN patterns itself.
   */
  private async scan(pattern: string, each: (keys: string[]) => Promise<void>): Promise<void> {
    const prefix = this.redis.options.keyPrefix ?? '';
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${prefix}${pattern}`, 'COUNT', SCAN_COUNT);
      cursor = next;
      if (keys.length) await each(keys.map((k) => k.slice(prefix.length)));
    } while (cursor !== '0');
  }
}
