import { ApiError } from '../errors/api-error';
import { credentialOf } from './credentials';

describe('credentialOf', () => {
  it('reads a JWT from Authorization: Bearer (any case of the scheme)', () => {
    expect(credentialOf({ authorization: 'bearer abc.def.ghi' })).toEqual({ kind: 'jwt', token: 'abc.def.ghi' });
  });

  it.each([
    [{ authorization: 'Bearer gk_secret' }],
    [{ 'x-api-key': 'gk_secret' }],
    [{ 'x-service-key': 'gk_secret' }],
    [{ 'x-api-key': 'gk_secret', 'x-service-key': 'gk_secret', authorization: 'Bearer gk_secret' }],
  ])('reads an API key from %j', (headers) => {
    expect(credentialOf(headers)).toEqual({ kind: 'api_key', key: 'gk_secret' });
  });

  it('returns null without any credential (blank values count as absent)', () => {
    expect(credentialOf({})).toBeNull();
    expect(credentialOf({ 'x-api-key': '  ' })).toBeNull();
  });

  it.each([
    ['another scheme', { authorization: 'Basic YWRtaW46YWRtaW4=' }],
    ['Bearer without a token', { authorization: 'Bearer' }],
    ['two different credentials', { authorization: 'Bearer a.b.c', 'x-api-key': 'gk_x' }],
    ['a repeated header', { 'x-api-key': ['gk_a', 'gk_b'] }],
  ])('refuses %s with 401 unauthorized', (_name, headers) => {
    let err: unknown;
    try {
      credentialOf(headers as Record<string, string>);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(401);
    expect((err as ApiError).code).toBe('unauthorized');
  });
});
