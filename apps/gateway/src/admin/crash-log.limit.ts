import { ApiError, ApiErrorCode } from '../errors/api-error';

export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;

/**
 * `?limit=` of the operator lists (`/admin/crashes`, `/admin/missing-models`): absent → 100,
 * otherwise an integer from 1 to 1000; anything else is a 400.
 */
export function parseListLimit(raw: unknown): number {
  if (raw === undefined) return DEFAULT_LIST_LIMIT;
  const n = typeof raw === 'string' && /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= MAX_LIST_LIMIT)) {
    throw new ApiError(ApiErrorCode.InvalidRequest, `limit must be an integer from 1 to ${MAX_LIST_LIMIT}`, [`limit: must be an integer from 1 to ${MAX_LIST_LIMIT}`]);
  }
  return n;
}
