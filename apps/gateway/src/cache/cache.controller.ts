import { Controller, Delete, Get, Inject, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { withTimeout } from '@gantry/common';
import { GatewayEnv } from '@gantry/config';
import { BACKEND_MODEL, POOLS, poolOfModel, type PoolName } from '@gantry/contracts';
import { ResponseCache } from '@gantry/redis';
import type { Redis } from 'ioredis';
import { ClientScope } from '../auth/client-scope';
import { ApiError, ApiErrorCode } from '../errors/api-error';
import { GATEWAY_REDIS } from '../jobs/gateway-redis';
import { ChatCacheService } from './chat-cache.service';

/** `{provider}` in the clearing routes: `gantry` (every pool) or a pool name. */
const ALL_PROVIDERS = 'gantry';

const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * The response cache's endpoints, in the reference's shapes (reference/001 `/api/ai/cache/*`).
 * Tenancy as for jobs: a client sees and clears only its own entries; an admin every client's,
 * or one client's with `X-Client-ID`. Redis unreachable → 503 `cache_unavailable` (health: 503
 * with `status: "unhealthy"`).
 */
@Controller('api/ai/cache')
export class CacheController {
  constructor(
    private readonly chatCache: ChatCacheService,
    @Inject(GATEWAY_REDIS) private readonly redis: Redis,
    private readonly env: GatewayEnv,
  ) {}

  @Get('stats')
  async stats(@ClientScope() clientId: string | undefined) {
    const [footprint, counters] = await this.available(() => Promise.all([this.cache.footprint(ResponseCache.pattern(clientId)), this.cache.counters(clientId)]));
    const lookups = counters.hits + counters.misses;
    return {
      total_cache_entries: footprint.entries,
      cache_hits: counters.hits,
      cache_misses: counters.misses,
      hit_rate_percent: lookups ? round1((counters.hits / lookups) * 100) : 0,
      total_memory_kb: round1(footprint.bytes / 1024),
      enabled: this.chatCache.enabled,
      ttl_seconds: this.env.CACHE_TTL_SECONDS,
    };
  }

  /** The scope's entries against the whole Redis server's memory (`used_memory`). */
  @Get('memory')
  async memory(@ClientScope() clientId: string | undefined) {
    const [footprint, info] = await this.available(() => Promise.all([this.cache.footprint(ResponseCache.pattern(clientId)), this.redis.info('memory')]));
    const total = Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? 0);
    return {
      total_memory_bytes: total,
      used_memory_bytes: footprint.bytes,
      memory_usage_percent: total ? round1((footprint.bytes / total) * 100) : 0,
      keys_count: footprint.entries,
    };
  }

  @Get('health')
  async health(@Res({ passthrough: true }) reply: FastifyReply) {
    const started = process.hrtime.bigint();
    const connected = this.redis.status === 'ready' && (await withTimeout(this.redis.ping(), 2_000, 'Redis').then(() => true, () => false));
    const responseMs = Number(process.hrtime.bigint() - started) / 1e6;
    if (!connected) void reply.status(503);
    return {
      status: connected ? 'healthy' : 'unhealthy',
      redis_connected: connected,
      response_time_ms: connected ? Math.round(responseMs * 100) / 100 : null,
      enabled: this.chatCache.enabled,
    };
  }

  /** Every entry of the scope (the caller's client; for an admin without `X-Client-ID`, every client's). */
  @Delete()
  async clearAll(@ClientScope() clientId: string | undefined) {
    const cleared = await this.available(() => this.cache.clear(ResponseCache.pattern(clientId)));
    return { status: 'success', cleared_keys: cleared };
  }

  @Delete('provider/:provider')
  async clearProvider(@ClientScope() clientId: string | undefined, @Param('provider') provider: string) {
    const pools = providerPools(provider);
    let cleared = 0;
    for (const pool of pools) cleared += await this.available(() => this.cache.clear(ResponseCache.pattern(clientId, BACKEND_MODEL[pool])));
    return { status: 'success', cleared_entries: cleared };
  }

  /** `{model}` is any model name Gantry serves (aliases share entries); `{provider}` is `gantry` or the model's pool. */
  @Delete('model/:provider/:model')
  async clearModel(@ClientScope() clientId: string | undefined, @Param('provider') provider: string, @Param('model') model: string) {
    const pools = providerPools(provider);
    const pool = poolOfModel(model);
    if (!pool || !pools.includes(pool)) throw new ApiError(ApiErrorCode.ModelNotFound, `Model ${model} not available from provider ${provider}`);
    const cleared = await this.available(() => this.cache.clear(ResponseCache.pattern(clientId, BACKEND_MODEL[pool])));
    return { status: 'success', cleared_entries: cleared };
  }

  private get cache(): ResponseCache {
    return this.chatCache.cache;
  }

  /** Runs a cache operation, or answers 503 `cache_unavailable` when Redis cannot. */
  private async available<T>(op: () => Promise<T>): Promise<T> {
    const unavailable = () => new ApiError(ApiErrorCode.CacheUnavailable, 'The response cache is unavailable (Redis), please try again later', undefined, { 'retry-after': '5' });
    if (this.redis.status !== 'ready') throw unavailable();
    try {
      return await withTimeout(op(), 10_000, 'Redis');
    } catch {
      throw unavailable();
    }
  }
}

function providerPools(provider: string): PoolName[] {
  if (provider === ALL_PROVIDERS) return [...POOLS];
  if ((POOLS as readonly string[]).includes(provider)) return [provider as PoolName];
  throw new ApiError(ApiErrorCode.ProviderNotFound, `Provider ${provider} not found: use ${ALL_PROVIDERS} or a pool (${POOLS.join(', ')})`);
}
