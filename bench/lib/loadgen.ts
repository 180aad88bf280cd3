import { performance } from 'node:perf_hooks';
import { buildRequest, RawHttpPool, type RawResponse } from './raw-http';
import { type LatencySummary, round, Samples, summarise } from './stats';

/**
 * Load generators. They run in their own process (see loadgen-child.ts) so that their event loop
 * never stalls the runner, and the runner's never stalls them.
 */

export interface HttpTarget {
  host: string;
  port: number;
}

export interface RequestSpec {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** Poll a sample of submitted jobs until they are terminal: submit → visible by polling. */
export interface PollSpec {
  /** Poll every n-th accepted submit. */
  sampleEvery: number;
  intervalMs: number;
  /** Long-poll instead (`?wait=N`): the gateway holds each GET until the job changes; no interval. */
  waitS?: number;
  headers: Record<string, string>;
  /** Give up on a job after this long (counted as not visible). */
  timeoutMs: number;
}

export interface OpenLoopSpec {
  kind: 'open';
  target: HttpTarget;
  request: RequestSpec;
  /** Requests per second, evenly spaced. */
  rate: number;
  durationMs: number;
  /** Same rate before the measured window; its samples are dropped. */
  warmupMs: number;
  maxConnections: number;
  /** How long to wait for answers after the last send before counting them as timeouts. */
  drainMs: number;
  poll?: PollSpec;
}

export interface OpenLoopResult {
  offeredRps: number;
  sent: number;
  /** 2xx answers in the measured window. */
  ok: number;
  /** Non-2xx answers, connection errors and timeouts in the measured window. */
  errors: number;
  statuses: Record<string, number>;
  /** ok / measured window: what the server sustained. */
  achievedRps: number;
  /** From the moment the request was due (not sent) to the last response byte, 2xx only. */
  latency: LatencySummary;
  peakConnections: number;
  maxQueued: number;
  /** Submit due → first poll that saw a terminal status. */
  visible?: LatencySummary & { notVisible: number; polls: number };
  firstError?: string;
}

export interface ClosedLoopSpec {
  kind: 'closed';
  target: HttpTarget;
  concurrency: number;
  durationMs: number;
  warmupMs: number;
  /** `direct`: one request per iteration. `submit-poll`: submit, then poll until terminal. */
  mode: 'direct' | 'submit-poll';
  request: RequestSpec;
  /** `waitS`: long-poll (`?wait=N`, the gateway holds the request until the job changes); else `gapMs` between plain polls. */
  poll?: { gapMs: number; waitS?: number; headers: Record<string, string> };
}

export interface ClosedLoopResult {
  iterations: number;
  errors: number;
  rps: number;
  latency: LatencySummary;
  /** submit-poll: polls per job (mean). */
  pollsPerJob?: number | null;
  firstError?: string;
}

const TERMINAL = /"status":"(succeeded|failed|cancelled|expired)"/;
const REQUEST_ID = /"request_id":"([0-9a-f-]{36})"/;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function openLoop(spec: OpenLoopSpec): Promise<OpenLoopResult> {
  const { host, port } = spec.target;
  const pool = new RawHttpPool(host, port, spec.maxConnections);
  const pollPool = spec.poll ? new RawHttpPool(host, port, 64) : undefined;
  const bytes = buildRequest(spec.request.method, `${host}:${port}`, spec.request.path, spec.request.headers, spec.request.body);
  const interval = 1000 / spec.rate;
  const total = Math.round((spec.rate * (spec.warmupMs + spec.durationMs)) / 1000);
  const warmupCount = Math.round((spec.rate * spec.warmupMs) / 1000);

  const latencies = new Samples();
  const visible = new Samples();
  const statuses: Record<string, number> = {};
  let ok = 0;
  let errors = 0;
  let outstanding = 0;
  let measuredOutstanding = 0;
  let closing = false;
  let maxQueued = 0;
  let accepted = 0;
  let notVisible = 0;
  let polls = 0;
  let pollsOutstanding = 0;
  let firstError: string | undefined;
  let stopped = false;

  const pollUntilDone = (id: string, due: number) => {
    const { waitS } = spec.poll!;
    const get = buildRequest('GET', `${host}:${port}`, `/api/jobs/${id}${waitS ? `?wait=${waitS}` : ''}`, spec.poll!.headers);
    pollsOutstanding++;
    const once = () => {
      polls++;
      pollPool!.request(get, (err, res) => {
        const now = performance.now();
        if (!err && res && res.status === 200 && TERMINAL.test(res.body.toString('latin1'))) {
          visible.push(now - due);
          pollsOutstanding--;
          return;
        }
        if (stopped || now - due > spec.poll!.timeoutMs) {
          notVisible++;
          pollsOutstanding--;
          return;
        }
        if (waitS) once();
        else setTimeout(once, spec.poll!.intervalMs);
      });
    };
    once();
  };

  const t0 = performance.now() + 5;
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor((now - t0) / interval) + 1);
      while (sent < due) {
        const i = sent++;
        const dueAt = t0 + i * interval;
        const measured = i >= warmupCount;
        outstanding++;
        if (measured) measuredOutstanding++;
        pool.request(bytes, (err, res) => {
          if (closing) return;
          outstanding--;
          if (!measured) return;
          measuredOutstanding--;
          const status = err ? 'error' : String(res!.status);
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (!err && res!.status >= 200 && res!.status < 300) {
            ok++;
            latencies.push(performance.now() - dueAt);
            if (spec.poll && accepted++ % spec.poll.sampleEvery === 0) {
              const id = REQUEST_ID.exec(res!.body.toString('latin1'))?.[1];
              if (id) pollUntilDone(id, dueAt);
            }
          } else {
            errors++;
            firstError ??= err ? err.message : `HTTP ${res!.status}: ${res!.body.toString('utf8').slice(0, 200)}`;
          }
        });
      }
      if (pool.queued > maxQueued) maxQueued = pool.queued;
      if (sent >= total) return resolve();
      setTimeout(tick, 1);
    };
    setTimeout(tick, Math.max(0, t0 - performance.now()));
  });
  const end = t0 + total * interval;
  const drainUntil = performance.now() + spec.drainMs;
  while (outstanding > 0 && performance.now() < drainUntil) await sleep(5);
  // Whatever is still unanswered after the drain counts as a timeout; later answers are ignored.
  closing = true;
  errors += measuredOutstanding;
  if (measuredOutstanding > 0) statuses.timeout = measuredOutstanding;
  if (spec.poll) {
    const pollUntil = performance.now() + spec.poll.timeoutMs;
    while (pollsOutstanding > 0 && performance.now() < pollUntil) await sleep(10);
  }
  stopped = true;
  pool.close();
  pollPool?.close();
  const windowMs = end - (t0 + warmupCount * interval);
  return {
    offeredRps: spec.rate,
    sent: total - warmupCount,
    ok,
    errors,
    statuses,
    achievedRps: round((ok * 1000) / windowMs, 1)!,
    latency: summarise(latencies.values()),
    peakConnections: pool.peakConnections,
    maxQueued,
    visible: spec.poll ? { ...summarise(visible.values()), notVisible: notVisible + pollsOutstanding, polls } : undefined,
    firstError,
  };
}

export async function closedLoop(spec: ClosedLoopSpec): Promise<ClosedLoopResult> {
  const { host, port } = spec.target;
  const pool = new RawHttpPool(host, port, spec.concurrency * 2);
  const bytes = buildRequest(spec.request.method, `${host}:${port}`, spec.request.path, spec.request.headers, spec.request.body);
  const latencies = new Samples();
  let errors = 0;
  let polls = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const measureFrom = start + spec.warmupMs;
  const end = measureFrom + spec.durationMs;

  const fail = (what: string) => {
    errors++;
    firstError ??= what;
  };
  const describe = (r: RawResponse) => `HTTP ${r.status}: ${r.body.toString('utf8').slice(0, 200)}`;

  /** One iteration: its latency (null on error) and how many polls it took. */
  const iteration = async (): Promise<{ ms: number | null; polls: number }> => {
    const t = performance.now();
    const res = await pool.requestAsync(bytes);
    if (res.status < 200 || res.status >= 300) return fail(describe(res)), { ms: null, polls: 0 };
    if (spec.mode === 'direct') return { ms: performance.now() - t, polls: 0 };
    const id = REQUEST_ID.exec(res.body.toString('latin1'))?.[1];
    if (!id) return fail(`no request_id in ${describe(res)}`), { ms: null, polls: 0 };
    const { waitS, gapMs } = spec.poll!;
    const get = buildRequest('GET', `${host}:${port}`, `/api/jobs/${id}${waitS ? `?wait=${waitS}` : ''}`, spec.poll!.headers);
    for (let n = 1; ; n++) {
      if (gapMs > 0 && !waitS) await sleep(gapMs);
      const r = await pool.requestAsync(get);
      if (r.status === 200 && TERMINAL.test(r.body.toString('latin1'))) return { ms: performance.now() - t, polls: n };
      if (r.status !== 200) return fail(describe(r)), { ms: null, polls: n };
      if (performance.now() - t > 30_000) return fail(`job ${id} not terminal after 30 s`), { ms: null, polls: n };
    }
  };

  let iterations = 0;
  const lane = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      const out = await iteration().catch((err: Error) => (fail(err.message), { ms: null, polls: 0 }));
      if (t >= measureFrom && out.ms !== null) {
        latencies.push(out.ms);
        iterations++;
        polls += out.polls;
      }
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, lane));
  pool.close();
  return {
    iterations,
    errors,
    rps: round((iterations * 1000) / spec.durationMs, 1)!,
    latency: summarise(latencies.values()),
    pollsPerJob: spec.mode === 'submit-poll' ? round(polls / Math.max(1, iterations), 2) : undefined,
    firstError,
  };
}
