import { parseCacheControl } from './cache-control';

describe('parseCacheControl', () => {
  it('allows lookup and store without the header', () => {
    expect(parseCacheControl(undefined)).toEqual({ lookup: true, store: true });
  });

  it('reads no-cache and no-store among other directives, in any case', () => {
    expect(parseCacheControl('max-age=0, No-Cache')).toEqual({ lookup: false, store: true });
    expect(parseCacheControl(['private', 'no-store'])).toEqual({ lookup: true, store: false });
    expect(parseCacheControl('no-cache,no-store')).toEqual({ lookup: false, store: false });
  });
});
