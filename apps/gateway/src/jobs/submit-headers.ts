import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { PRIORITIES, type Priority } from '@gantry/contracts';
import { submitterClientId } from '../auth/client-scope';
import type { Principal } from '../auth/principal';
import { ApiError, ApiErrorCode } from '../errors/api-error';

export interface SubmitHeaders {
  clientId: string;
  priority: Priority;
}

/**
 * `X-Client-ID` and `X-Priority` (`low|normal|high`, default `normal`), validated. The client id
 * defaults to the credential's client, must match it, and is required for admins.
 */
export function parseSubmitHeaders(headers: FastifyRequest['headers'], principal?: Principal): SubmitHeaders {
  const clientId = submitterClientId(headers['x-client-id'], principal);
  const raw = headers['x-priority'];
  const priority = raw === undefined || raw === '' ? 'normal' : typeof raw === 'string' ? raw.toLowerCase() : '';
  if (!(PRIORITIES as readonly string[]).includes(priority)) {
    throw new ApiError(ApiErrorCode.InvalidPriority, `X-Priority must be one of ${PRIORITIES.join(', ')}`);
  }
  return { clientId, priority: priority as Priority };
}

export const SubmitHeaders = createParamDecorator((_: unknown, ctx: ExecutionContext) => {
  const req = ctx.switchToHttp().getRequest<FastifyRequest>();
  return parseSubmitHeaders(req.headers, req.principal);
});
