import type { Redis, Result } from 'ioredis';

/**
 * Token buckets for request and token rate limits, plus a per-client set of in-flight jobs for the
 * concurrency limit. `RedisRateLimiter` checks everything in one Lua script (atomic across gateway
 * replicas, timed by the Redis clock); `LocalRateLimiter` does the same bucket arithmetic in
 * memory, for one replica, when Redis cannot be reached.
 */

/** A bucket of `capacity` that refills at `perMinute` per minute. */
export interface BucketSpec {
  key: string;
  perMinute: number;
  capacity: number;
}

export interface AdmitRequest {
  /** One request costs one unit of this bucket. */
  requests: BucketSpec;
  /** Optional: `cost` units (e.g. estimated tokens) of a second bucket. */
  tokens?: BucketSpec & { cost: number };
  /** Optional: at most `limit` unfinished jobs; `member` (the request id) joins on admission. */
  inflight?: { key: string; limit: number; member: string };
}

export interface BucketState {
  /** Units per minute. */
  limit: number;
  /** Whole units left after this check. */
  remaining: number;
  /** Until the bucket is full again. */
  resetMs: number;
  /** Until this check would pass (0 when it did). */
  retryAfterMs: number;
}

export type AdmitVerdict = 'admitted' | 'requests' | 'tokens' | 'concurrency';

export interface AdmitResult {
  verdict: AdmitVerdict;
  requests: BucketState;
  tokens?: BucketState;
  /** Unfinished jobs counted (including this one when admitted). */
  inflight?: number;
}

// Reads one job hot copy per set member when the set is full (keys not in KEYS: fine on a
// standalone Redis; a Cluster deployment would need the job keys and the set in one hash slot).
const ADMIT_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function load(key, cap, rate)
  local v = redis.call('HMGET', key, 'tokens', 'ts')
  local tokens, ts = tonumber(v[1]), tonumber(v[2])
  if tokens == nil or ts == nil then return cap end
  local elapsed = now - ts
  if elapsed < 0 then elapsed = 0 end
  return math.min(cap, tokens + elapsed * rate)
end
local function store(key, tokens, cap, rate)
  redis.call('HSET', key, 'tokens', tostring(tokens), 'ts', tostring(now))
  redis.call('PEXPIRE', key, math.ceil((cap - tokens) / rate) + 1000)
end
local reqCap, reqRate = tonumber(ARGV[1]), tonumber(ARGV[2])
local tokCap, tokRate, tokCost = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local maxInflight = tonumber(ARGV[6])
local verdict = 0
local inflight = 0
if maxInflight > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - tonumber(ARGV[9]))
  inflight = redis.call('ZCARD', KEYS[3])
  if inflight >= maxInflight then
    -- Drop finished jobs (terminal hot copy, rank 2) and, after a grace period for jobs still
    -- being published, members whose hot copy is gone.
    local graceBefore = now - tonumber(ARGV[10])
    local members = redis.call('ZRANGE', KEYS[3], 0, -1, 'WITHSCORES')
    for i = 1, #members, 2 do
      local copy = redis.call('GET', ARGV[8] .. members[i])
      if (copy and string.sub(copy, 1, 1) == '2') or ((not copy) and tonumber(members[i + 1]) < graceBefore) then
        redis.call('ZREM', KEYS[3], members[i])
      end
    end
    inflight = redis.call('ZCARD', KEYS[3])
  end
  if inflight >= maxInflight then verdict = 3 end
end
local req = load(KEYS[1], reqCap, reqRate)
if verdict == 0 and req < 1 then verdict = 1 end
local tok = 0
if tokCap > 0 then
  tok = load(KEYS[2], tokCap, tokRate)
  if verdict == 0 and tok < tokCost then verdict = 2 end
end
if verdict == 0 then
  req = req - 1
  store(KEYS[1], req, reqCap, reqRate)
  if tokCap > 0 then
    tok = tok - tokCost
    store(KEYS[2], tok, tokCap, tokRate)
  end
  if maxInflight > 0 then
    redis.call('ZADD', KEYS[3], now, ARGV[7])
    redis.call('PEXPIRE', KEYS[3], ARGV[9])
    inflight = inflight + 1
  end
end
local reqRetry, tokRetry, tokReset = 0, 0, 0
if req < 1 then reqRetry = math.ceil((1 - req) / reqRate) end
if tokCap > 0 then
  tokReset = math.ceil((tokCap - tok) / tokRate)
  if tok < tokCost then tokRetry = math.ceil((tokCost - tok) / tokRate) end
end
return {verdict, math.floor(req), math.ceil((reqCap - req) / reqRate), reqRetry, math.floor(tok), tokReset, tokRetry, inflight}`;

const VERDICTS: AdmitVerdict[] = ['admitted', 'requests', 'tokens', 'concurrency'];

declare module 'ioredis' {
  interface RedisCommander<Context> {
    gantryAdmit(reqKey: string, tokKey: string, inflightKey: string, ...args: string[]): Result<number[], Context>;
  }
}

const perMs = (perMinute: number) => perMinute / 60_000;

export interface RedisRateLimiterOptions {
  /** Key prefix of job hot copies, including the connection's own prefix (e.g. `gantry:job:`). */
  jobKeyPrefix: string;
  /** In-flight members older than this are dropped (the hot copy TTL: nothing is known past it). */
  inflightMaxAgeMs: number;
  /** A member without a hot copy yet is kept this long (its job may still be being published). */
  inflightGraceMs: number;
}

export class RedisRateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly options: RedisRateLimiterOptions,
  ) {
    if (typeof (redis as Partial<Redis>).gantryAdmit !== 'function') redis.defineCommand('gantryAdmit', { numberOfKeys: 3, lua: ADMIT_SCRIPT });
  }

  /** One atomic check: admits (consuming from every bucket) only if every limit allows it. */
  async admit(req: AdmitRequest): Promise<AdmitResult> {
    const { requests, tokens, inflight } = req;
    const r = await this.redis.gantryAdmit(
      requests.key,
      tokens?.key ?? requests.key,
      inflight?.key ?? requests.key,
      String(requests.capacity),
      String(perMs(requests.perMinute)),
      String(tokens?.capacity ?? 0),
      String(tokens ? perMs(tokens.perMinute) : 0),
      String(tokens?.cost ?? 0),
      String(inflight?.limit ?? 0),
      inflight?.member ?? '',
      this.options.jobKeyPrefix,
      String(this.options.inflightMaxAgeMs),
      String(this.options.inflightGraceMs),
    );
    const n = r.map(Number);
    return {
      verdict: VERDICTS[n[0]],
      requests: { limit: requests.perMinute, remaining: n[1], resetMs: n[2], retryAfterMs: n[3] },
      ...(tokens ? { tokens: { limit: tokens.perMinute, remaining: n[4], resetMs: n[5], retryAfterMs: n[6] } } : {}),
      ...(inflight ? { inflight: n[7] } : {}),
    };
  }

  /** Takes a job back out of the in-flight set (it was never queued). */
  async release(inflightKey: string, member: string): Promise<void> {
    await this.redis.zrem(inflightKey, member);
  }
}

interface Bucket {
  tokens: number;
  at: number;
  /** When it will be full again (then it is the same as no bucket). */
  fullAt?: number;
}

/** Bucket level at `now`: refilled since `b.at`, capped at the capacity. */
export function refill(b: Bucket | undefined, spec: BucketSpec, now: number): number {
  if (!b) return spec.capacity;
  return Math.min(spec.capacity, b.tokens + Math.max(0, now - b.at) * perMs(spec.perMinute));
}

function stateOf(level: number, spec: BucketSpec, cost: number): BucketState {
  const rate = perMs(spec.perMinute);
  return {
    limit: spec.perMinute,
    remaining: Math.floor(level),
    resetMs: Math.ceil((spec.capacity - level) / rate),
    retryAfterMs: level < cost ? Math.ceil((cost - level) / rate) : 0,
  };
}

/**
 * The same buckets in process memory (no concurrency set: the caller counts unfinished jobs
 * elsewhere). Used only while Redis is unreachable, so limits then hold per replica.
 */
export class LocalRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly maxKeys = 100_000,
    private readonly clock: () => number = Date.now,
  ) {}

  admit(req: Omit<AdmitRequest, 'inflight'>): AdmitResult {
    const now = this.clock();
    const specs: Array<[BucketSpec, number]> = [[req.requests, 1]];
    if (req.tokens) specs.push([req.tokens, req.tokens.cost]);
    const levels = specs.map(([spec]) => refill(this.buckets.get(spec.key), spec, now));
    const failing = specs.findIndex(([, cost], i) => levels[i] < cost);
    if (failing === -1) {
      specs.forEach(([spec, cost], i) => {
        levels[i] -= cost;
        this.buckets.set(spec.key, { tokens: levels[i], at: now, fullAt: now + (spec.capacity - levels[i]) / perMs(spec.perMinute) });
      });
      this.evictFull(now);
    }
    const verdict: AdmitVerdict = failing === -1 ? 'admitted' : failing === 0 ? 'requests' : 'tokens';
    return {
      verdict,
      // After admission the state shows what is left; on refusal, what is missing.
      requests: stateOf(levels[0], req.requests, failing === -1 ? 0 : 1),
      ...(req.tokens ? { tokens: stateOf(levels[1], req.tokens, failing === -1 ? 0 : req.tokens.cost) } : {}),
    };
  }

  /** The buckets' state without taking anything (for an answer refused for another reason). */
  peek(req: Omit<AdmitRequest, 'inflight'>): AdmitResult {
    const now = this.clock();
    return {
      verdict: 'admitted',
      requests: stateOf(refill(this.buckets.get(req.requests.key), req.requests, now), req.requests, 0),
      ...(req.tokens ? { tokens: stateOf(refill(this.buckets.get(req.tokens.key), req.tokens, now), req.tokens, 0) } : {}),
    };
  }

  /** A full bucket equals no bucket: drop those when the map grows, so memory stays bounded. */
  private evictFull(now: number): void {
    if (this.buckets.size <= this.maxKeys) return;
    for (const [key, b] of this.buckets) {
      if (b.fullAt !== undefined && b.fullAt <= now) this.buckets.delete(key);
    }
  }
}
