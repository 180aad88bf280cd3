import { HttpStatus } from '@nestjs/common';

/** Stable machine codes of every error the HTTP API returns. Never rename one: clients match on them. */
export enum ApiErrorCode {
  InvalidJson = 'invalid_json',
  InvalidRequest = 'invalid_request',
  MissingClientId = 'missing_client_id',
  InvalidClientId = 'invalid_client_id',
  InvalidPriority = 'invalid_priority',
  InvalidRequestId = 'invalid_request_id',
  UnsupportedMediaType = 'unsupported_media_type',
  PayloadTooLarge = 'payload_too_large',
  ModelNotFound = 'model_not_found',
  JobNotFound = 'job_not_found',
  RouteNotFound = 'not_found',
  MethodNotAllowed = 'method_not_allowed',
  QueueUnavailable = 'queue_unavailable',
  Internal = 'internal_error',
}

const STATUS: Record<ApiErrorCode, HttpStatus> = {
  [ApiErrorCode.InvalidJson]: HttpStatus.BAD_REQUEST,
  [ApiErrorCode.InvalidRequest]: HttpStatus.BAD_REQUEST,
  [ApiErrorCode.MissingClientId]: HttpStatus.BAD_REQUEST,
  [ApiErrorCode.InvalidClientId]: HttpStatus.BAD_REQUEST,
  [ApiErrorCode.InvalidPriority]: HttpStatus.BAD_REQUEST,
  [ApiErrorCode.InvalidRequestId]: HttpStatus.BAD_REQUEST,
  [ApiErrorCode.UnsupportedMediaType]: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  [ApiErrorCode.PayloadTooLarge]: HttpStatus.PAYLOAD_TOO_LARGE,
  [ApiErrorCode.ModelNotFound]: HttpStatus.NOT_FOUND,
  [ApiErrorCode.JobNotFound]: HttpStatus.NOT_FOUND,
  [ApiErrorCode.RouteNotFound]: HttpStatus.NOT_FOUND,
  [ApiErrorCode.MethodNotAllowed]: HttpStatus.METHOD_NOT_ALLOWED,
  [ApiErrorCode.QueueUnavailable]: HttpStatus.SERVICE_UNAVAILABLE,
  [ApiErrorCode.Internal]: HttpStatus.INTERNAL_SERVER_ERROR,
};

/**
 * An error the client can act on. The body is `{code, detail, errors?}`: `detail` keeps the
 * reference gateway's field (`{"detail": "Model X not available"}`), `code` is stable.
 */
export class ApiError extends Error {
  readonly status: HttpStatus;

  constructor(
    readonly code: ApiErrorCode,
    readonly detail: string,
    readonly errors?: string[],
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.status = STATUS[code];
  }

  body(): Record<string, unknown> {
    return { code: this.code, detail: this.detail, ...(this.errors?.length ? { errors: this.errors } : {}) };
  }
}
