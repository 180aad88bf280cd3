import { Inject, Injectable, Logger } from '@nestjs/common';
import { GatewayEnv } from '@gantry/config';
import type { Redis } from 'ioredis';
import { AUTH_REDIS } from './auth.tokens';

/**
 * Sessions ended before their access tokens expire (logout, refresh-token reuse, user disabled).
 * Access tokens are stateless, so the guard asks here; an entry lives as long as a token can.
 * Policy when Redis is unreachable: the check passes (an access token lives minutes, and refusing
 * every caller would turn a cache outage into a full outage); refresh tokens, in Postgres, stay
 * revoked either way.
 */
@Injectable()
export class SessionRevocations {
  private readonly log = new Logger(SessionRevocations.name);
  private readonly ttlSeconds: number;

  constructor(
    @Inject(AUTH_REDIS) private readonly redis: Redis,
    env: GatewayEnv,
  ) {
    this.ttlSeconds = env.ACCESS_TOKEN_TTL_SECONDS + 60;
  }

  private static key(sessionId: string): string {
    return `auth:revoked-session:${sessionId}`;
  }

  async revoke(sessionIds: string[]): Promise<void> {
    if (!sessionIds.length) return;
    try {
      const pipe = this.redis.pipeline();
      for (const sid of sessionIds) pipe.set(SessionRevocations.key(sid), '1', 'EX', this.ttlSeconds);
      await pipe.exec();
    } catch (err) {
      this.log.warn({ msg: 'session revocation not recorded in Redis; access tokens of it live until they expire', sessions: sessionIds, err: String(err) });
    }
  }

  async isRevoked(sessionId: string): Promise<boolean> {
    if (this.redis.status !== 'ready') return false;
    try {
      return (await this.redis.exists(SessionRevocations.key(sessionId))) === 1;
    } catch (err) {
      this.log.warn({ msg: 'session revocation check skipped: Redis unreachable', err: String(err) });
      return false;
    }
  }
}
