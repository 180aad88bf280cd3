import type { FastifyRequest } from 'fastify';
import { ApiError, ApiErrorCode } from '../errors/api-error';

/** Every API key secret starts with this, so a Bearer value can be told from a JWT. */
export const API_KEY_PREFIX = 'gk_';

export type Credential = { kind: 'jwt'; token: string } | { kind: 'api_key'; key: string };

export function unauthorized(detail = 'Invalid token'): ApiError {
  return new ApiError(ApiErrorCode.Unauthorized, detail, undefined, { 'www-authenticate': 'Bearer' });
}

function single(value: string | string[] | undefined, name: string): string | undefined {
  if (Array.isArray(value)) throw unauthorized(`Send ${name} once`);
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/**
 * The credential of a request: `Authorization: Bearer <jwt | gk_ key>`, `x-api-key` (reference
 * 003) or `X-Service-Key` (reference 004). Null when none is sent. Two different credentials in
 * one request are refused rather than guessed between.
 */
export function credentialOf(headers: FastifyRequest['headers']): Credential | null {
  const found: Credential[] = [];
  const authorization = single(headers.authorization, 'Authorization');
  if (authorization !== undefined) {
    const m = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!m) throw unauthorized('Authorization must be "Bearer <token>"');
    found.push(m[1].startsWith(API_KEY_PREFIX) ? { kind: 'api_key', key: m[1] } : { kind: 'jwt', token: m[1] });
  }
  for (const name of ['x-api-key', 'x-service-key'] as const) {
    const key = single(headers[name], name);
    if (key !== undefined) found.push({ kind: 'api_key', key });
  }
  if (!found.length) return null;
  const value = (c: Credential) => (c.kind === 'jwt' ? c.token : c.key);
  if (found.some((c) => value(c) !== value(found[0]))) throw unauthorized('Send one credential, not several different ones');
  return found[0];
}
