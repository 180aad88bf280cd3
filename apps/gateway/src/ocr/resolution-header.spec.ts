import { ApiError, ApiErrorCode } from '../errors/api-error';
import { parseResolution } from './resolution-header';

describe('parseResolution', () => {
  it('is undefined when the header is absent or empty (the pool default applies)', () => {
    expect(parseResolution(undefined)).toBeUndefined();
    expect(parseResolution('')).toBeUndefined();
  });

  it.each([
    ['tiny', 'tiny'],
    ['Gundam', 'gundam'],
    [' LARGE ', 'large'],
  ])('accepts %j as %s', (raw, mode) => {
    expect(parseResolution(raw)).toBe(mode);
  });

  it.each([['huge'], ['1024'], [['base', 'large']]])('rejects %j with invalid_resolution (400)', (raw) => {
    let err: unknown;
    try {
      parseResolution(raw as string | string[]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(ApiErrorCode.InvalidResolution);
    expect((err as ApiError).status).toBe(400);
  });
});
