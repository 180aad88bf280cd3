import { ApiError, ApiErrorCode } from '../errors/api-error';
import { parseListLimit } from './crash-log.limit';

describe('parseListLimit', () => {
  it('defaults to 100', () => {
    expect(parseListLimit(undefined)).toBe(100);
  });

  it.each([
    ['1', 1],
    ['50', 50],
    ['1000', 1000],
    ['007', 7],
  ])('accepts %s', (raw, n) => {
    expect(parseListLimit(raw)).toBe(n);
  });

  it.each([['0'], ['1001'], ['-1'], ['1.5'], ['abc'], [''], ['1e3'], [' 5'], ['99999']])('rejects %j with invalid_request (400)', (raw) => {
    let error: unknown;
    try {
      parseListLimit(raw);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe(ApiErrorCode.InvalidRequest);
    expect((error as ApiError).status).toBe(400);
  });

  it('rejects a repeated parameter (array)', () => {
    expect(() => parseListLimit(['1', '2'])).toThrow(ApiError);
  });
});
