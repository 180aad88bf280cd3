import { Injectable } from '@nestjs/common';
import { GatewayEnv } from '@gantry/config';
import type { PoolName, Priority } from '@gantry/contracts';
import type { AdmitRequest } from '@gantry/redis';
import type { Principal } from '../auth/principal';
import { ApiError, ApiErrorCode } from '../errors/api-error';
import { PoolBacklogService } from './pool-backlog.service';
import { rateLimitHeaders, retryAfterSeconds } from './rate-limit-headers';
import { RateLimitsService } from './rate-limits.service';
import { isShed, parsePoolLimits } from './shed';

/** Seconds a client refused for a full queue is told to wait. */
const QUEUE_FULL_RETRY_AFTER = '5';

export interface SubmitCandidate {
  requestId: string;
  clientId: string;
  pool: PoolName;
  /** Backend model name (aliases resolved). */
  model: string;
  priority: Priority;
  /** Tokens charged against tokens-per-minute. */
  tokens: number;
}

export interface Admission {
  /** `x-ratelimit-*` headers for the 202. */
  headers: Record<string, string>;
  /** Call when the job was not queued after all (frees its concurrency slot). */
  release(): void;
}

/**
 * Whether a new job may be queued, in order: the credential may use the model (403), the pool
 * is not over its backlog for this priority (503), and the credential's rate, token and
 * concurrency limits allow it (429). Every front door that queues jobs goes through here.
 */
@Injectable()
export class SubmitAdmissionService {
  private readonly poolLimits: Map<PoolName, number>;

  constructor(
    private readonly backlog: PoolBacklogService,
    private readonly limits: RateLimitsService,
    env: GatewayEnv,
  ) {
    this.poolLimits = parsePoolLimits(env.ADMISSION_MAX_BACKLOG);
  }

  async admit(principal: Principal, job: SubmitCandidate): Promise<Admission> {
    const { limits } = principal;
    if (limits.allowedModels && !limits.allowedModels.includes(job.model)) {
      throw new ApiError(ApiErrorCode.ModelNotAllowed, `Model ${job.model} is not allowed for this credential`);
    }
    const poolLimit = this.poolLimits.get(job.pool) ?? 0;
    if (poolLimit > 0) {
      const backlog = await this.backlog.backlog(job.pool);
      if (backlog !== null && isShed(backlog, poolLimit, job.priority)) {
        throw new ApiError(ApiErrorCode.QueueFull, 'Queue is full, please try again later', undefined, { 'retry-after': QUEUE_FULL_RETRY_AFTER });
      }
    }
    if (job.tokens > limits.tokensPerMinute) {
      throw new ApiError(ApiErrorCode.InvalidRequest, `This request counts about ${job.tokens} tokens, more than the ${limits.tokensPerMinute} tokens per minute allowed; lower max_tokens`);
    }
    const who = `${principal.kind}:${principal.id}`;
    const inflightKey = `inflight:${job.clientId}`;
    const req: AdmitRequest = {
      requests: { key: `rl:req:${who}`, perMinute: limits.requestsPerMinute, capacity: limits.burst },
      tokens: { key: `rl:tok:${who}`, perMinute: limits.tokensPerMinute, capacity: limits.tokensPerMinute, cost: job.tokens },
      ...(limits.maxConcurrentJobs > 0 ? { inflight: { key: inflightKey, limit: limits.maxConcurrentJobs, member: job.requestId } } : {}),
    };
    const result = await this.limits.admit(req, job.clientId);
    const headers = rateLimitHeaders(result);
    switch (result.verdict) {
      case 'admitted':
        return { headers, release: () => req.inflight && this.limits.release(inflightKey, job.requestId) };
      case 'requests':
        throw new ApiError(ApiErrorCode.RateLimited, `Rate limit reached: ${limits.requestsPerMinute} requests per minute (burst ${limits.burst})`, undefined, {
          ...headers,
          'retry-after': retryAfterSeconds(result.requests.retryAfterMs),
        });
      case 'tokens':
        throw new ApiError(ApiErrorCode.RateLimited, `Rate limit reached: ${limits.tokensPerMinute} tokens per minute`, undefined, {
          ...headers,
          'retry-after': retryAfterSeconds(result.tokens?.retryAfterMs ?? 1000),
        });
      case 'concurrency':
        throw new ApiError(ApiErrorCode.ConcurrencyLimited, `Too many unfinished jobs: at most ${limits.maxConcurrentJobs} at once`, undefined, {
          ...headers,
          'retry-after': '1',
        });
    }
  }
}
