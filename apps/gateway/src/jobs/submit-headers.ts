import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { PRIORITIES, type Priority } from '@gantry/contracts';
import { ApiError, ApiErrorCode } from '../errors/api-error';

export interface SubmitHeaders {
  clientId: string;
  priority: Priority;
}

const CLIENT_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

/** `X-Client-ID` (required) and `X-Priority` (`low|normal|high`, default `normal`), validated. */
export function parseSubmitHeaders(headers: FastifyRequest['headers']): SubmitHeaders {
  const clientId = headers['x-client-id'];
  if (clientId === undefined || clientId === '') throw new ApiError(ApiErrorCode.MissingClientId, 'X-Client-ID header is required');
  if (typeof clientId !== 'string' || !CLIENT_ID.test(clientId)) {
    throw new ApiError(ApiErrorCode.InvalidClientId, 'X-Client-ID must be 1-128 characters of letters, digits and . _ : @ -');
  }
  const raw = headers['x-priority'];
  const priority = raw === undefined || raw === '' ? 'normal' : typeof raw === 'string' ? raw.toLowerCase() : '';
  if (!(PRIORITIES as readonly string[]).includes(priority)) {
    throw new ApiError(ApiErrorCode.InvalidPriority, `X-Priority must be one of ${PRIORITIES.join(', ')}`);
  }
  return { clientId, priority: priority as Priority };
}

export const SubmitHeaders = createParamDecorator((_: unknown, ctx: ExecutionContext) =>
  parseSubmitHeaders(ctx.switchToHttp().getRequest<FastifyRequest>().headers),
);
