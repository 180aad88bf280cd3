import { Inject, Injectable, Logger } from '@nestjs/common';
import { RateGate, withTimeout } from '@gantry/common';
import { GatewayEnv } from '@gantry/config';
import type { ChatMessage, PoolName } from '@gantry/contracts';
import { cacheHitsTotal, cacheMissesTotal } from '@gantry/metrics';
import { ResponseCache, type CachedAnswer } from '@gantry/redis';
import type { Redis } from 'ioredis';
import { GATEWAY_REDIS } from '../jobs/gateway-redis';
import type { CacheDirectives } from './cache-control';

/** Longest wait for a lookup: past it the request is a miss (the cache must never slow a submit much). */
const LOOKUP_TIMEOUT_MS = 500;
const WARN_EVERY_MS = 10_000;

/** The front door a cacheable request came through (the metrics' `route` label). */
export type CacheRoute = '/api/chat' | '/v1/chat/completions';

/** What the cache does for one submit: its entry key, and whether to look it up and store it. */
export interface CachePlan {
  key: string;
  lookup: boolean;
  store: boolean;
  clientId: string;
  pool: PoolName;
  route: CacheRoute;
}

/**
 * The gateway's side of the response cache (README "Response cache"): which requests are
 * cacheable, the lookup (best-effort: a slow or unreachable Redis is a miss, never an error),
 * and the hit/miss counters. The worker stores answers (`JobMessage.cache_key`).
 */
@Injectable()
export class ChatCacheService {
  private readonly log = new Logger(ChatCacheService.name);
  readonly cache: ResponseCache;
  private readonly warnGate = new RateGate(WARN_EVERY_MS);

  constructor(
    @Inject(GATEWAY_REDIS) private readonly redis: Redis,
    private readonly env: GatewayEnv,
  ) {
    this.cache = new ResponseCache(redis);
  }

  get enabled(): boolean {
    return this.env.CACHE_ENABLED === 'true';
  }

  /**
   * Only deterministic requests are cacheable: `temperature` explicitly 0. A sampled answer
   * replayed would not be what the caller asked for. Null when the request is not cacheable.
   */
  plan(req: { clientId: string; pool: PoolName; model: string; messages: ChatMessage[]; max_tokens?: number; temperature?: number }, directives: CacheDirectives, route: CacheRoute): CachePlan | null {
    if (!this.enabled || req.temperature !== 0) return null;
    const key = ResponseCache.keyOf({ clientId: req.clientId, pool: req.pool, model: req.model, messages: req.messages, max_tokens: req.max_tokens, temperature: 0 });
    return { key, lookup: directives.lookup, store: directives.store, clientId: req.clientId, pool: req.pool, route };
  }

  /** The stored answer, or null (none, expired, or Redis slow or unreachable). Never rejects. */
  async lookup(plan: CachePlan): Promise<CachedAnswer | null> {
    if (!plan.lookup) return null;
    if (this.redis.status !== 'ready') {
      this.warn(new Error(`Redis connection is ${this.redis.status}`));
      return null;
    }
    try {
      return await withTimeout(this.cache.get(plan.key), LOOKUP_TIMEOUT_MS, 'Redis');
    } catch (err) {
      this.warn(err);
      return null;
    }
  }

  /** Counts an admitted request's lookup (metrics, and the client's counters for `/api/ai/cache/stats`). */
  record(plan: CachePlan, hit: boolean): void {
    if (!plan.lookup) return;
    (hit ? cacheHitsTotal : cacheMissesTotal).inc({ pool: plan.pool, route: plan.route });
    if (this.redis.status === 'ready') this.cache.count(plan.clientId, hit ? 'hits' : 'misses').catch((err: unknown) => this.warn(err));
  }

  private warn(err: unknown): void {
    if (!this.warnGate.open()) return;
    this.log.warn({ msg: 'response cache unavailable: requests are misses', err: String(err) });
  }
}
