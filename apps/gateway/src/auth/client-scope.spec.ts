import { ApiError } from '../errors/api-error';
import { readerScope, submitterClientId } from './client-scope';
import type { Principal } from './principal';

const limits = { requestsPerMinute: 60, burst: 10, tokensPerMinute: 1000, maxConcurrentJobs: 0, allowedModels: null };
const client: Principal = { kind: 'api_key', id: 'k', role: 'client', clientId: 'acme', limits };
const admin: Principal = { kind: 'user', id: 'a', role: 'admin', clientId: null, limits };

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return (err as ApiError).code;
  }
  throw new Error('expected an ApiError');
}

describe('client scope', () => {
  it('a client submits for its own client, with or without X-Client-ID', () => {
    expect(submitterClientId(undefined, client)).toBe('acme');
    expect(submitterClientId('acme', client)).toBe('acme');
  });

  it('a client naming another client is 403 client_mismatch', () => {
    expect(codeOf(() => submitterClientId('other', client))).toBe('client_mismatch');
    expect(codeOf(() => readerScope(client, 'other'))).toBe('client_mismatch');
  });

  it('an admin must name the client it submits for', () => {
    expect(submitterClientId('anyone', admin)).toBe('anyone');
    expect(codeOf(() => submitterClientId(undefined, admin))).toBe('missing_client_id');
  });

  it('reads: a client sees its own, an admin everything or the client it names', () => {
    expect(readerScope(client, undefined)).toBe('acme');
    expect(readerScope(admin, undefined)).toBeUndefined();
    expect(readerScope(admin, 'acme')).toBe('acme');
  });

  it('checks the header format first', () => {
    expect(codeOf(() => submitterClientId('bad id', client))).toBe('invalid_client_id');
    expect(codeOf(() => readerScope(admin, 'bad id'))).toBe('invalid_client_id');
  });
});
