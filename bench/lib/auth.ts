import { randomBytes } from 'node:crypto';
import { signAccessToken } from '../../apps/gateway/src/auth/jwt';

/**
 * Request identity for every call the benchmark makes to the gateway, in one place (as
 * test/support/stack.ts `auth()` does for the tests): when the gateway's authentication changes,
 * only this file changes.
 *
 * The run signs its own access tokens (HS256, issue 6) with a secret made for the run, which every
 * gateway it starts receives as GANTRY_JWT_SECRET (see Scope). Tokens carry no session id, so the
 * gateway checks them without a Redis round trip, as for any access token.
 */
export const BENCH_JWT_SECRET = randomBytes(32).toString('hex');

export const BENCH_CLIENT = 'bench-client';

const tokens = new Map<string, string>();

export function authHeaders(clientId: string, extra: Record<string, string> = {}): Record<string, string> {
  let token = tokens.get(clientId);
  if (!token) {
    const iat = Math.floor(Date.now() / 1000);
    // Two hours: longer than any run.
    token = signAccessToken({ iss: 'gantry', typ: 'access', sub: `bench-user:${clientId}`, role: 'client', cid: clientId, iat, exp: iat + 7200 }, BENCH_JWT_SECRET);
    tokens.set(clientId, token);
  }
  return { authorization: `Bearer ${token}`, 'x-client-id': clientId, ...extra };
}
