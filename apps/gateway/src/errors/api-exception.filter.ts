import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { ApiError, ApiErrorCode } from './api-error';

export function toApiError(exception: unknown): ApiError {
  if (exception instanceof ApiError) return exception;
  // Fastify's own errors (too large, wrong media type) reach us as HttpExceptions with their status.
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    if (status === 404) return new ApiError(ApiErrorCode.RouteNotFound, 'Not found');
    if (status === 405) return new ApiError(ApiErrorCode.MethodNotAllowed, 'Method not allowed');
    if (status === 413) return new ApiError(ApiErrorCode.PayloadTooLarge, 'Request body is too large');
    if (status === 415) return new ApiError(ApiErrorCode.UnsupportedMediaType, 'Unsupported Content-Type; send application/json');
    if (status < 500) return new ApiError(ApiErrorCode.InvalidRequest, exception.message);
  }
  return new ApiError(ApiErrorCode.Internal, 'Internal error');
}

/** One place that turns every failure into a JSON error; a 500 carries a correlation id, never internals. */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly log = new Logger(ApiExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    send(reply, exception, this.log);
  }
}

export function send(reply: FastifyReply, exception: unknown, log: Logger): void {
  const error = toApiError(exception);
  const body = error.body();
  if (error.code === ApiErrorCode.Internal) {
    const errorId = randomUUID();
    body.error_id = errorId;
    log.error({ msg: 'unhandled error', error_id: errorId, err: exception instanceof Error ? { message: exception.message, stack: exception.stack } : String(exception) });
  }
  // The OpenAI-compatible routes answer in OpenAI's error shape, so its SDKs surface the message.
  if (reply.request.url.startsWith('/v1/')) {
    void reply.status(error.status).headers(error.headers).send(openAiErrorBody(error, body.error_id));
    return;
  }
  void reply.status(error.status).headers(error.headers).send(body);
}

/** `{error: {message, type, param, code}}`; `code` is the same stable code as on /api routes. */
export function openAiErrorBody(error: ApiError, errorId?: unknown): Record<string, unknown> {
  const type = error.status === 401 ? 'authentication_error' : error.status === 403 ? 'permission_error' : error.status === 429 ? 'rate_limit_error' : error.status >= 500 ? 'server_error' : 'invalid_request_error';
  const message = error.errors?.length ? `${error.detail}: ${error.errors.join('; ')}` : error.detail;
  return { error: { message, type, param: null, code: error.code, ...(errorId ? { error_id: errorId } : {}) } };
}
