import type { FastifyRequest } from 'fastify';
import { ApiError, ApiErrorCode } from '../errors/api-error';
import { parseSubmitHeaders } from './submit-headers';

type Headers = FastifyRequest['headers'];

function errorOf(headers: Headers): ApiError {
  try {
    parseSubmitHeaders(headers);
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error('expected an ApiError');
}

describe('parseSubmitHeaders', () => {
  it('returns the client id and the default priority normal', () => {
    expect(parseSubmitHeaders({ 'x-client-id': 'client-1' })).toEqual({ clientId: 'client-1', priority: 'normal' });
  });

  it('treats an empty X-Priority as the default', () => {
    expect(parseSubmitHeaders({ 'x-client-id': 'c', 'x-priority': '' }).priority).toBe('normal');
  });

  it.each([
    ['high', 'high'],
    ['HIGH', 'high'],
    ['Low', 'low'],
    ['normal', 'normal'],
  ])('accepts X-Priority %s as %s', (raw, expected) => {
    expect(parseSubmitHeaders({ 'x-client-id': 'c', 'x-priority': raw }).priority).toBe(expected);
  });

  it('rejects a missing X-Client-ID with missing_client_id (400)', () => {
    const err = errorOf({});
    expect(err.code).toBe(ApiErrorCode.MissingClientId);
    expect(err.code).toBe('missing_client_id');
    expect(err.status).toBe(400);
  });

  it('rejects an empty X-Client-ID with missing_client_id', () => {
    expect(errorOf({ 'x-client-id': '' }).code).toBe(ApiErrorCode.MissingClientId);
  });

  it('accepts every allowed character and exactly 128 characters', () => {
    const id = 'Az09._:@-'.padEnd(128, 'x');
    expect(parseSubmitHeaders({ 'x-client-id': id }).clientId).toBe(id);
  });

  it('rejects an X-Client-ID longer than 128 characters with invalid_client_id', () => {
    expect(errorOf({ 'x-client-id': 'x'.repeat(129) }).code).toBe(ApiErrorCode.InvalidClientId);
  });

  it.each(['with space', 'slash/y', 'semi;colon', 'quote"', 'ünïcode', 'tab\t', 'a,b'])(
    'rejects X-Client-ID %j with invalid_client_id',
    (id) => {
      expect(errorOf({ 'x-client-id': id }).code).toBe(ApiErrorCode.InvalidClientId);
    },
  );

  it('rejects a duplicated X-Client-ID header (array value)', () => {
    const err = errorOf({ 'x-client-id': ['a', 'b'] } as unknown as Headers);
    expect(err.code).toBe(ApiErrorCode.InvalidClientId);
  });

  it('rejects an unknown priority with invalid_priority (400)', () => {
    const err = errorOf({ 'x-client-id': 'c', 'x-priority': 'urgent' });
    expect(err.code).toBe(ApiErrorCode.InvalidPriority);
    expect(err.status).toBe(400);
    expect(err.detail).toContain('low');
  });

  it('rejects a duplicated X-Priority header (array value)', () => {
    const err = errorOf({ 'x-client-id': 'c', 'x-priority': ['high', 'low'] } as unknown as Headers);
    expect(err.code).toBe(ApiErrorCode.InvalidPriority);
  });

  it('checks the client id before the priority', () => {
    expect(errorOf({ 'x-priority': 'urgent' }).code).toBe(ApiErrorCode.MissingClientId);
  });
});
