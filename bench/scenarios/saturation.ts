import { type BenchContext, hostPort, pick, sleep } from '../lib/context';
import { JobFeeder, warmUp } from '../lib/jobs';
import { SimProcess, type SimStatsLite } from '../lib/processes';
import { fig, type ScenarioResult } from '../lib/report';
import { round } from '../lib/stats';
import { directRequest } from './ingest';

/** The simulated GPU: N sequences at once, each 20 ms to first token + 15 × 2 ms = 50 ms. */
export const SIM_SLOTS = 16;
export const SIM_LATENCY = { ttftMs: 20, itlMs: 2 };
/** 16 completion tokens (the requests' max_tokens). */
export const SERVICE_MS = SIM_LATENCY.ttftMs + 15 * SIM_LATENCY.itlMs;
const OVERSUBSCRIBE = 4;

interface Sample {
  at: number;
  stats: SimStatsLite;
}

/**
 * Fraction of the drain during which the simulator had all N slots running. The window opens at
 * the first sample with N running and closes at the last sample with at least 2N jobs still to
 * finish (the tail, where fewer than N jobs are left, cannot saturate any backend).
 */
export function saturatedFraction(samples: Sample[], total: number, slots: number) {
  const first = samples.findIndex((s) => s.stats.running >= slots);
  let last = -1;
  for (let i = samples.length - 1; i >= 0; i--) {
    if (total - samples[i].stats.completed >= 2 * slots) {
      last = i;
      break;
    }
  }
  if (first < 0 || last <= first) return { fraction: null, windowMs: 0, busyFraction: null, jobsPerS: null };
  const a = samples[first].stats;
  const b = samples[last].stats;
  const windowMs = b.uptimeMs - a.uptimeMs;
  return {
    fraction: round((b.saturatedMs - a.saturatedMs) / windowMs, 3),
    busyFraction: round((b.busyMs - a.busyMs) / windowMs, 3),
    windowMs: Math.round(windowMs),
    jobsPerS: round(((b.completed - a.completed) * 1000) / windowMs, 1),
  };
}

async function sampleUntil(sim: SimProcess, done: (s: SimStatsLite) => boolean, timeoutMs: number): Promise<Sample[]> {
  const samples: Sample[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stats = await sim.stats();
    samples.push({ at: Date.now(), stats });
    if (done(stats) || Date.now() > deadline) return samples;
    await sleep(50);
  }
}

/**
 * Saturation: a simulator limited to N sequences, a worker with N slots, a deep backlog; how much of
 * the drain the backend spends with all N slots busy.
 */
export async function saturation(ctx: BenchContext): Promise<ScenarioResult> {
  const drainS = pick(ctx, 15, 5);
  const capacity = (SIM_SLOTS * 1000) / SERVICE_MS;
  const backlog = Math.round(capacity * drainS);

  const scope = await ctx.scope('saturation');
  const sim = await SimProcess.start({ maxNumSeqs: SIM_SLOTS, ...SIM_LATENCY }, 'sim-saturation');
  const env = { GEMMA_BACKEND_URL: sim.url, WORKER_MAX_CONCURRENT: String(SIM_SLOTS) };
  const recorder = await ctx.app('recorder', scope, env);
  let worker = await ctx.app('worker', scope, env);
  await scope.waitGroupStable('gantry.worker.gemma');
  await scope.waitGroupStable('gantry.recorder');
  const feeder = new JobFeeder(scope);
  const details: Record<string, unknown> = {};
  let result: ReturnType<typeof saturatedFraction>;
  let direct: ReturnType<typeof saturatedFraction>;
  let over: ReturnType<typeof saturatedFraction>;
  const drain = async (label: string) => {
    ctx.log(`saturation (${label}): ${backlog} jobs (about ${drainS} s of work) for ${SIM_SLOTS} slots of ${SERVICE_MS} ms`);
    await warmUp(scope, Math.round(capacity * 2));
    await sim.reset();
    await feeder.backlog(backlog, 'normal');
    const samples = await sampleUntil(sim, (s) => s.completed >= backlog, drainS * 6_000 + 30_000);
    const r = saturatedFraction(samples, backlog, SIM_SLOTS);
    const end = samples[samples.length - 1].stats;
    ctx.log(`  saturated ${r.fraction}, busy ${r.busyFraction}, ${r.jobsPerS} jobs/s (ideal ${round(capacity, 0)})`);
    return { r, detail: { backlog, ...r, completed: end.completed, maxRunning: end.maxRunning, samples: samples.length } };
  };
  try {
    const main = await drain(`worker slots = ${SIM_SLOTS}`);
    result = main.r;
    details.gantry = main.detail;

    // Baseline: a client holding exactly N requests in flight against the same simulator.
    ctx.log(`saturation baseline: ${SIM_SLOTS} concurrent direct calls for ${drainS} s`);
    await sim.reset();
    const run = ctx.loadgen.closed({ target: hostPort(sim.url), concurrency: SIM_SLOTS, durationMs: drainS * 1000, warmupMs: 0, mode: 'direct', request: directRequest() });
    const directSamples: Sample[] = [];
    let finished = false;
    void run.finally(() => (finished = true));
    while (!finished) {
      directSamples.push({ at: Date.now(), stats: await sim.stats() });
      await sleep(50);
    }
    const directRun = await run;
    // Same window rule; "jobs left" for the closed loop is simply "not in the final second".
    direct = saturatedFraction(directSamples.slice(0, -Math.ceil(1000 / 50)), Number.MAX_SAFE_INTEGER, SIM_SLOTS);
    details.direct = { ...direct, rps: directRun.rps, latency: directRun.latency };
    ctx.log(`  direct: saturated ${direct.fraction}, ${direct.jobsPerS} req/s`);

    // Variant: a few more worker slots than the engine runs, so the engine's own waiting queue
    // (ordered by the priority the worker sends) covers the worker's gaps between jobs.
    await worker.stop();
    worker = await ctx.app('worker', scope, { ...env, WORKER_MAX_CONCURRENT: String(SIM_SLOTS + OVERSUBSCRIBE) }, 'saturation-worker-oversubscribed');
    await scope.waitGroupStable('gantry.worker.gemma');
    const variant = await drain(`worker slots = ${SIM_SLOTS + OVERSUBSCRIBE}`);
    over = variant.r;
    details.oversubscribed = { workerSlots: SIM_SLOTS + OVERSUBSCRIBE, ...variant.detail };
  } finally {
    await feeder.close();
    await worker.stop();
    await recorder.stop();
    await sim.stop();
  }

  return {
    name: 'saturation',
    title: 'Saturation: share of the drain with every backend slot busy',
    method: [
      `Simulator in its own process with --max-num-seqs ${SIM_SLOTS}, ${SIM_LATENCY.ttftMs} ms to first token and ${SIM_LATENCY.itlMs} ms between tokens (16 tokens: ${SERVICE_MS} ms a request, so at most ${round(capacity, 0)} requests/s); worker with WORKER_MAX_CONCURRENT=${SIM_SLOTS}; recorder running.`,
      `Warm-up: ${Math.round(capacity * 2)} jobs (about 2 s of work) first, not measured.`,
      `Backlog: ${backlog} jobs (about ${drainS} s of work) written straight to the job topic while the worker runs.`,
      "Figure: the simulator's own `saturatedMs` (time with N sequences running) divided by elapsed time, read every 50 ms over the drain: from the first moment N were running to the last moment at least 2N jobs were still left (the tail with fewer than N jobs left cannot keep N busy).",
      `Variant: the same drain with a fresh, warmed-up worker given ${SIM_SLOTS + OVERSUBSCRIBE} slots (WORKER_MAX_CONCURRENT=${SIM_SLOTS + OVERSUBSCRIBE}) for the ${SIM_SLOTS}-sequence engine: the extra requests wait in the engine's own priority queue and start the moment a sequence ends.`,
      `Baseline: a client holding exactly ${SIM_SLOTS} direct requests in flight (closed loop) for ${drainS} s against the same simulator, same rule.`,
    ],
    figures: [
      fig('share of the drain with all N slots running', '', result.fraction, direct.fraction, { target: '≥ 0.95', met: result.fraction === null ? false : result.fraction >= 0.95 }),
      fig('share of the drain with at least 1 running', '', result.busyFraction, direct.busyFraction),
      fig('jobs/s during the drain', '/s', result.jobsPerS, direct.jobsPerS, { note: `ideal ${round(capacity, 0)}/s` }),
      fig(`share with all N running, worker slots N+${OVERSUBSCRIBE} (variant)`, '', over.fraction, direct.fraction, { note: `${over.jobsPerS} jobs/s; the engine queues the extra ${OVERSUBSCRIBE}` }),
    ],
    details,
    notes: [],
  };
}
