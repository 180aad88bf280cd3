import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AllowList, guardedLookup, SsrfError, type Resolver } from '@gantry/webhooks';

export interface SendResult {
  status?: number;
  retryAfterMs?: number;
  error?: string;
  durationMs: number;
  /** True when the failure is the SSRF guard refusing the target (never retried). */
  forbidden?: boolean;
}

/**
 * The longest `Retry-After` honoured (the schedule's own last step): a receiver asking for more
 * (or a date years ahead) waits this long, which also keeps the consumer's pause timer in range.
 */
export const MAX_RETRY_AFTER_MS = 24 * 3600 * 1000;

/** `Retry-After` as delay-seconds or an HTTP date → ms from now, within [0, 24 h]. */
export function retryAfterMs(value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  const secs = Number(v);
  const ms = Number.isFinite(secs) ? secs * 1000 : Date.parse(v) - Date.now();
  return Number.isNaN(ms) ? undefined : Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}

/**
 * One POST with node:http: no redirect is ever followed (a 3xx is a failed attempt), the socket
 * connects only to addresses the SSRF guard accepts (checked again at send time), and the whole
 * exchange is bounded by `timeoutMs`. `resolver` is DNS unless a test injects one.
 */
export function postWebhook(url: URL, body: string, headers: Record<string, string>, allow: AllowList, timeoutMs: number, resolver?: Resolver): Promise<SendResult> {
  const started = Date.now();
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: Omit<SendResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...r, durationMs: Date.now() - started });
    };
    const req = send(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'Gantry-Webhooks/1', ...headers },
        lookup: guardedLookup(allow, resolver) as never,
      },
      (res) => {
        res.resume();
        res.on('end', () => done({ status: res.statusCode, retryAfterMs: retryAfterMs(res.headers['retry-after']) }));
        res.on('error', (err) => done({ status: res.statusCode, error: err.message }));
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (err) => done({ error: err.message, forbidden: err instanceof SsrfError }));
    req.end(body);
  });
}
