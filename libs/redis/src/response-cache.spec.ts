import { ResponseCache, type CacheableChat } from './response-cache';

const base: CacheableChat = { clientId: 'app', pool: 'gemma', model: 'gemma-3-4b-it', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8, temperature: 0 };

describe('ResponseCache keys', () => {
  it('equal requests share a key; anything that changes the answer, or the tenant, changes it', () => {
    const key = ResponseCache.keyOf(base);
    expect(ResponseCache.keyOf({ ...base, messages: [{ role: 'user', content: 'hi' }] })).toBe(key);
    expect(key).toMatch(/^cache:\{app\}:gemma-3-4b-it:[0-9a-f]{64}$/);
    for (const other of [
      { ...base, clientId: 'app2' },
      { ...base, messages: [{ role: 'system' as const, content: 'hi' }] },
      { ...base, max_tokens: 9 },
      { ...base, max_tokens: undefined },
    ]) {
      expect(ResponseCache.keyOf(other)).not.toBe(key);
    }
  });

  it('a client’s pattern is closed by braces, so a client id that extends another’s does not match', () => {
    expect(ResponseCache.pattern('a')).toBe('cache:{a}:*');
    expect(ResponseCache.pattern('a:b', 'gemma-3-4b-it')).toBe('cache:{a:b}:gemma-3-4b-it:*');
    expect(ResponseCache.pattern()).toBe('cache:*:*');
  });
});
