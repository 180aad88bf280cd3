import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Role } from '@gantry/db';

/**
 * HS256 access tokens with node:crypto (no dependency for 30 lines). Only HS256 is accepted: the
 * header's `alg` is checked, so `none` or an algorithm switch cannot pass.
 */
export interface AccessClaims {
  iss: 'gantry';
  typ: 'access';
  /** User id. */
  sub: string;
  role: Role;
  /** Client (tenant) the user acts for; absent for admins. */
  cid?: string;
  /** Session: the refresh-token family, so a logout can revoke the access tokens it issued. */
  sid?: string;
  /** Unique per token. */
  jti?: string;
  iat: number;
  exp: number;
}

const HEADER = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

function b64url(s: string | Buffer): string {
  return Buffer.from(s).toString('base64url');
}

function mac(input: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(input).digest();
}

export function signAccessToken(claims: AccessClaims, secret: string): string {
  const body = `${HEADER}.${b64url(JSON.stringify(claims))}`;
  return `${body}.${mac(body, secret).toString('base64url')}`;
}

export type VerifyResult = { ok: true; claims: AccessClaims } | { ok: false; reason: 'malformed' | 'signature' | 'expired' | 'claims' };

/** Checks the signature against each secret (current, then the one being rotated out) and the expiry. */
export function verifyAccessToken(token: string, secrets: string[], nowSeconds = Math.floor(Date.now() / 1000)): VerifyResult {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) return { ok: false, reason: 'malformed' };
  const [header, payload, signature] = parts;
  let parsedHeader: unknown;
  let claims: Partial<AccessClaims>;
  try {
    parsedHeader = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<AccessClaims>;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof parsedHeader !== 'object' || parsedHeader === null || (parsedHeader as { alg?: unknown }).alg !== 'HS256') return { ok: false, reason: 'malformed' };
  const given = Buffer.from(signature, 'base64url');
  const signed = secrets.some((secret) => {
    const expected = mac(`${header}.${payload}`, secret);
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
  if (!signed) return { ok: false, reason: 'signature' };
  if (
    typeof claims !== 'object' ||
    claims === null ||
    claims.iss !== 'gantry' ||
    claims.typ !== 'access' ||
    typeof claims.sub !== 'string' ||
    (claims.role !== 'admin' && claims.role !== 'client') ||
    (claims.role === 'client' && typeof claims.cid !== 'string') ||
    (claims.sid !== undefined && typeof claims.sid !== 'string') ||
    typeof claims.exp !== 'number' ||
    typeof claims.iat !== 'number'
  ) {
    return { ok: false, reason: 'claims' };
  }
  if (claims.exp <= nowSeconds) return { ok: false, reason: 'expired' };
  return { ok: true, claims: claims as AccessClaims };
}
