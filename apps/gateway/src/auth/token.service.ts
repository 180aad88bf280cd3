import { Injectable, Logger } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { GatewayEnv } from '@gantry/config';
import type { Role } from '@gantry/db';
import { signAccessToken, verifyAccessToken, type AccessClaims, type VerifyResult } from './jwt';

export interface AccessSubject {
  userId: string;
  role: Role;
  clientId: string | null;
  sessionId: string;
}

/** Signs and checks access tokens with GANTRY_JWT_SECRET (and the previous one while rotating). */
@Injectable()
export class TokenService {
  private readonly log = new Logger(TokenService.name);
  private readonly secrets: string[];
  readonly accessTtlSeconds: number;

  constructor(env: GatewayEnv) {
    let secret = env.GANTRY_JWT_SECRET;
    if (!secret) {
      // Validation already refused production without one; elsewhere a per-process secret is fine.
      secret = randomBytes(32).toString('hex');
      this.log.warn({ msg: 'GANTRY_JWT_SECRET is not set: using a random secret for this process; tokens stop working when it restarts' });
    }
    this.secrets = [secret, ...(env.GANTRY_JWT_PREVIOUS_SECRET ? [env.GANTRY_JWT_PREVIOUS_SECRET] : [])];
    this.accessTtlSeconds = env.ACCESS_TOKEN_TTL_SECONDS;
  }

  issue(subject: AccessSubject): string {
    const iat = Math.floor(Date.now() / 1000);
    const claims: AccessClaims = {
      iss: 'gantry',
      typ: 'access',
      sub: subject.userId,
      role: subject.role,
      ...(subject.clientId ? { cid: subject.clientId } : {}),
      sid: subject.sessionId,
      jti: randomUUID(),
      iat,
      exp: iat + this.accessTtlSeconds,
    };
    return signAccessToken(claims, this.secrets[0]);
  }

  verify(token: string): VerifyResult {
    return verifyAccessToken(token, this.secrets);
  }
}
