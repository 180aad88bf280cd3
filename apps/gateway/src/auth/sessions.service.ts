import { Injectable, Logger } from '@nestjs/common';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { GatewayEnv } from '@gantry/config';
import { RefreshTokensRepository, UsersRepository, type UserRecord } from '@gantry/db';
import { ApiError, ApiErrorCode } from '../errors/api-error';
import { SessionRevocations } from './session-revocations.service';
import { TokenService } from './token.service';

/** The reference shape (`/auth/token`): `{access_token, refresh_token, token_type: "bearer"}`. */
export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'bearer';
  /** Seconds the access token is valid (OAuth 2.0). */
  expires_in: number;
}

const REFRESH_PREFIX = 'grt_';

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function invalidRefresh(): ApiError {
  return new ApiError(ApiErrorCode.InvalidRefreshToken, 'Invalid refresh token');
}

/**
 * Login sessions: an access token plus an opaque refresh token (stored hashed). Each refresh
 * rotates the refresh token; presenting one that was already used revokes the session.
 */
@Injectable()
export class SessionsService {
  private readonly log = new Logger(SessionsService.name);
  private readonly refreshTtlMs: number;

  constructor(
    private readonly tokens: TokenService,
    private readonly refreshTokens: RefreshTokensRepository,
    private readonly users: UsersRepository,
    private readonly revocations: SessionRevocations,
    env: GatewayEnv,
  ) {
    this.refreshTtlMs = env.REFRESH_TOKEN_TTL_SECONDS * 1000;
  }

  start(user: UserRecord): Promise<TokenPair> {
    return this.issue(user, randomUUID());
  }

  async rotate(refreshToken: string): Promise<TokenPair> {
    if (!refreshToken.startsWith(REFRESH_PREFIX)) throw invalidRefresh();
    const use = await this.refreshTokens.use(hashSecret(refreshToken));
    if (use.outcome === 'reused') {
      this.log.warn({ msg: 'refresh token reused: session revoked', session_id: use.familyId });
      await this.revocations.revoke([use.familyId]);
    }
    if (use.outcome !== 'rotated') throw invalidRefresh();
    const user = await this.users.findActiveById(use.userId);
    if (!user) {
      await this.refreshTokens.revokeFamily(use.familyId);
      throw invalidRefresh();
    }
    return this.issue(user, use.familyId);
  }

  /** Logout: the session's refresh tokens stop working and its access tokens are refused. */
  async end(refreshToken: string): Promise<void> {
    const familyId = refreshToken.startsWith(REFRESH_PREFIX) ? await this.refreshTokens.familyOf(hashSecret(refreshToken)) : null;
    if (!familyId) throw invalidRefresh();
    await this.refreshTokens.revokeFamily(familyId);
    await this.revocations.revoke([familyId]);
  }

  async endAllOf(userId: string): Promise<void> {
    await this.revocations.revoke(await this.refreshTokens.revokeAllOfUser(userId));
  }

  private async issue(user: UserRecord, sessionId: string): Promise<TokenPair> {
    const refresh = REFRESH_PREFIX + randomBytes(32).toString('base64url');
    await this.refreshTokens.insert({
      id: randomUUID(),
      userId: user.id,
      familyId: sessionId,
      tokenHash: hashSecret(refresh),
      expiresAt: new Date(Date.now() + this.refreshTtlMs),
    });
    return {
      access_token: this.tokens.issue({ userId: user.id, role: user.role, clientId: user.client_id, sessionId }),
      refresh_token: refresh,
      token_type: 'bearer',
      expires_in: this.tokens.accessTtlSeconds,
    };
  }
}
