import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiError, ApiErrorCode } from '../errors/api-error';
import type { Principal } from './principal';

const CLIENT_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

/** `X-Client-ID` validated; undefined when absent or empty. */
export function parseClientIdHeader(raw: string | string[] | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string' || !CLIENT_ID.test(raw)) {
    throw new ApiError(ApiErrorCode.InvalidClientId, 'X-Client-ID must be 1-128 characters of letters, digits and . _ : @ -');
  }
  return raw;
}

/** A non-admin may only name its own client; an admin acts for anyone. */
function checkOwnClient(principal: Principal, header: string | undefined): void {
  if (header !== undefined && principal.role !== 'admin' && header !== principal.clientId) {
    throw new ApiError(ApiErrorCode.ClientMismatch, 'X-Client-ID does not match the credential');
  }
}

/**
 * The client a new job belongs to: the credential's own client (X-Client-ID optional, and must
 * match), or for an admin the X-Client-ID it names (required). Without a principal (unit use),
 * the header alone decides.
 */
export function submitterClientId(raw: string | string[] | undefined, principal?: Principal): string {
  const header = parseClientIdHeader(raw);
  if (principal) checkOwnClient(principal, header);
  const clientId = header ?? (principal?.role === 'client' ? principal.clientId : null);
  if (!clientId) throw new ApiError(ApiErrorCode.MissingClientId, 'X-Client-ID header is required');
  return clientId;
}

/**
 * Whose objects a read may see: a non-admin only its own client's (X-Client-ID optional, must
 * match); an admin everything, or one client's when it names one.
 */
export function readerScope(principal: Principal, raw: string | string[] | undefined): string | undefined {
  const header = parseClientIdHeader(raw);
  checkOwnClient(principal, header);
  return principal.role === 'admin' ? header : (principal.clientId ?? undefined);
}

/** `readerScope` of the current request, for tenant-owned routes (poll, events, cancel, …). */
export const ClientScope = createParamDecorator((_: unknown, ctx: ExecutionContext): string | undefined => {
  const req = ctx.switchToHttp().getRequest<FastifyRequest>();
  if (!req.principal) throw new Error('ClientScope used on a route the AuthGuard did not authenticate');
  return readerScope(req.principal, req.headers['x-client-id']);
});
