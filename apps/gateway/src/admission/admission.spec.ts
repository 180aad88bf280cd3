import { duration, rateLimitHeaders, retryAfterSeconds } from './rate-limit-headers';
import { isShed, parsePoolLimits } from './shed';
import { DEFAULT_COMPLETION_ESTIMATE, estimateChatTokens } from './token-estimate';

describe('load shedding by priority', () => {
  it.each([
    [9, 'low', false],
    [10, 'low', true],
    [14, 'normal', false],
    [15, 'normal', true],
    [19, 'high', false],
    [20, 'high', true],
  ] as const)('backlog %i of 20 refuses %s: %s', (backlog, priority, shed) => {
    expect(isShed(backlog, 20, priority)).toBe(shed);
  });

  it('never sheds without a limit', () => {
    expect(isShed(1_000_000, 0, 'low')).toBe(false);
  });

  it('parses pool limits and refuses unknown pools', () => {
    expect([...parsePoolLimits('gemma=10,deepseek-ocr=5')]).toEqual([['gemma', 10], ['deepseek-ocr', 5]]);
    expect(() => parsePoolLimits('llama=3')).toThrow(/unknown pool llama/);
  });
});

describe('rate-limit headers', () => {
  it('formats durations like OpenAI', () => {
    expect([duration(0), duration(250), duration(1000), duration(6500), duration(90_000), duration(3_600_000)]).toEqual(['0s', '250ms', '1s', '7s', '1m30s', '1h0m0s']);
  });

  it('sends the requests trio, and the tokens trio when tokens are limited', () => {
    const requests = { limit: 60, remaining: 9, resetMs: 1000, retryAfterMs: 0 };
    expect(rateLimitHeaders({ verdict: 'admitted', requests })).toEqual({
      'x-ratelimit-limit-requests': '60',
      'x-ratelimit-remaining-requests': '9',
      'x-ratelimit-reset-requests': '1s',
    });
    const tokens = { limit: 100, remaining: -3, resetMs: 30_000, retryAfterMs: 0 };
    expect(rateLimitHeaders({ verdict: 'admitted', requests, tokens })).toMatchObject({ 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': '30s' });
  });

  it('Retry-After is whole seconds, at least 1', () => {
    expect([retryAfterSeconds(0), retryAfterSeconds(1), retryAfterSeconds(1001)]).toEqual(['1', '1', '2']);
  });
});

describe('token estimate', () => {
  it('is max_tokens plus about a token per four prompt characters and framing', () => {
    expect(estimateChatTokens([{ role: 'user', content: 'x'.repeat(8) }], 40)).toBe(2 + 4 + 40);
    expect(estimateChatTokens([{ role: 'user', content: '' }], undefined)).toBe(4 + DEFAULT_COMPLETION_ESTIMATE);
  });
});
