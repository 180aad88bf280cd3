import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { GatewayEnv } from '@gantry/config';
import { rateLimitHeaders, retryAfterSeconds } from '../admission/rate-limit-headers';
import { RateLimitsService } from '../admission/rate-limits.service';
import { ApiError, ApiErrorCode } from '../errors/api-error';

/**
 * Throttles login, refresh and logout per source address (AUTH_RATE_LIMIT_*), which slows
 * password guessing on top of argon2's cost. Same Redis bucket and same fallback as submits.
 */
@Injectable()
export class AuthAttemptsGuard implements CanActivate {
  constructor(
    private readonly limits: RateLimitsService,
    private readonly env: GatewayEnv,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<FastifyRequest>();
    const result = await this.limits.admit({
      requests: { key: `rl:auth:${req.ip}`, perMinute: this.env.AUTH_RATE_LIMIT_PER_MINUTE, capacity: this.env.AUTH_RATE_LIMIT_BURST },
    });
    if (result.verdict !== 'admitted') {
      throw new ApiError(ApiErrorCode.RateLimited, 'Too many authentication attempts, please try again later', undefined, {
        ...rateLimitHeaders(result),
        'retry-after': retryAfterSeconds(result.requests.retryAfterMs),
      });
    }
    return true;
  }
}
