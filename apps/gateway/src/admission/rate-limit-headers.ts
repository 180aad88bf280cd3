import type { AdmitResult } from '@gantry/redis';

/** OpenAI's duration style for `x-ratelimit-reset-*`: `250ms`, `6s`, `1m30s`. */
export function duration(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const total = Math.ceil(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h ? `${h}h${m}m${s}s` : m ? `${m}m${s}s` : `${s}s`;
}

/** The `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` headers of a check. */
export function rateLimitHeaders(r: AdmitResult): Record<string, string> {
  const headers: Record<string, string> = {
    'x-ratelimit-limit-requests': String(r.requests.limit),
    'x-ratelimit-remaining-requests': String(Math.max(0, r.requests.remaining)),
    'x-ratelimit-reset-requests': duration(r.requests.resetMs),
  };
  if (r.tokens) {
    headers['x-ratelimit-limit-tokens'] = String(r.tokens.limit);
    headers['x-ratelimit-remaining-tokens'] = String(Math.max(0, r.tokens.remaining));
    headers['x-ratelimit-reset-tokens'] = duration(r.tokens.resetMs);
  }
  return headers;
}

/** Whole seconds to wait (at least 1), for `Retry-After`. */
export function retryAfterSeconds(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1000)));
}
