import { Inject, Injectable, Logger } from '@nestjs/common';
import { RateGate } from '@gantry/common';
import { GatewayEnv } from '@gantry/config';
import { JobsRepository } from '@gantry/db';
import { LocalRateLimiter, RedisRateLimiter, type AdmitRequest, type AdmitResult } from '@gantry/redis';
import type { Redis } from 'ioredis';
import { AUTH_REDIS } from '../auth/auth.tokens';

/** Longest wait for Redis before the check falls back to memory. */
const REDIS_TIMEOUT_MS = 500;
/** A member without a hot copy yet is kept this long: its publish may still be in flight. */
const INFLIGHT_GRACE_MS = 60_000;
const WARN_EVERY_MS = 10_000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}

/**
 * Rate limits and the concurrent-jobs cap, checked in Redis (one script, shared by every replica).
 *
 * Policy when Redis is unreachable (README "Security"): fail open to a degraded limiter, not
 * closed. Each replica keeps the same token buckets in memory (so limits hold per replica, N
 * replicas allow up to N times the rate) and counts the client's unfinished jobs in Postgres
 * (jobs the recorder has not written yet are not counted). Jobs go on being accepted and run:
 * Kafka and Postgres carry them, Redis only makes things fast.
 */
@Injectable()
export class RateLimitsService {
  private readonly log = new Logger(RateLimitsService.name);
  private readonly limiter: RedisRateLimiter;
  private readonly local = new LocalRateLimiter();
  private readonly warnGate = new RateGate(WARN_EVERY_MS);

  constructor(
    @Inject(AUTH_REDIS) private readonly redis: Redis,
    private readonly jobs: JobsRepository,
    env: GatewayEnv,
  ) {
    this.limiter = new RedisRateLimiter(redis, {
      jobKeyPrefix: `${redis.options.keyPrefix ?? ''}job:`,
      inflightMaxAgeMs: env.JOB_HOT_TTL_SECONDS * 1000,
      inflightGraceMs: INFLIGHT_GRACE_MS,
    });
  }

  /** One check of every limit in `req`; `clientId` owns the in-flight set. */
  async admit(req: AdmitRequest, clientId?: string): Promise<AdmitResult> {
    if (this.redis.status === 'ready') {
      try {
        return await withTimeout(this.limiter.admit(req), REDIS_TIMEOUT_MS);
      } catch (err) {
        this.degraded(err);
      }
    } else {
      this.degraded(new Error(`Redis connection is ${this.redis.status}`));
    }
    if (req.inflight && clientId !== undefined) {
      const unfinished = await this.jobs.countUnfinishedOfClient(clientId).catch(() => 0);
      if (unfinished >= req.inflight.limit) return { ...this.local.peek(req), verdict: 'concurrency', inflight: unfinished };
    }
    return this.local.admit(req);
  }

  /** The job was not queued after all: it leaves the in-flight set. */
  release(inflightKey: string, member: string): void {
    if (this.redis.status !== 'ready') return;
    this.limiter.release(inflightKey, member).catch(() => undefined);
  }

  private degraded(err: unknown): void {
    if (!this.warnGate.open()) return;
    this.log.warn({ msg: 'rate limits degraded to this replica\'s memory: Redis unreachable', err: String(err) });
  }
}
