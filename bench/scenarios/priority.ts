import type { Priority } from '@gantry/contracts';
import { type BenchContext, hostPort, pick, sleep } from '../lib/context';
import { JobFeeder, MEASURED_CLIENT, warmUp } from '../lib/jobs';
import { LoadGenerator, SimProcess } from '../lib/processes';
import { fig, type ScenarioResult } from '../lib/report';
import { round } from '../lib/stats';
import { directRequest } from './ingest';
import { SERVICE_MS, SIM_LATENCY, SIM_SLOTS } from './saturation';

const HIGH_SHARE = 0.2;
const OVERLOAD = 1.25;

interface WaitRow {
  priority: Priority;
  n: string;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

/**
 * Priority isolation: arrivals above the backend's capacity, 20 % high and 80 % low; the queue wait
 * of each (started_at − created_at of its jobs row). High must not wait behind low.
 */
export async function priority(ctx: BenchContext): Promise<ScenarioResult> {
  const durationMs = pick(ctx, 20_000, 8_000);
  const capacity = (SIM_SLOTS * 1000) / SERVICE_MS;
  const rate = Math.round(capacity * OVERLOAD);
  const highRate = Math.round(rate * HIGH_SHARE);

  const scope = await ctx.scope('priority');
  const sim = await SimProcess.start({ maxNumSeqs: SIM_SLOTS, ...SIM_LATENCY }, 'sim-priority');
  const env = { GEMMA_BACKEND_URL: sim.url, WORKER_MAX_CONCURRENT: String(SIM_SLOTS) };
  const recorder = await ctx.app('recorder', scope, env);
  const worker = await ctx.app('worker', scope, env);
  await scope.waitGroupStable('gantry.worker.gemma');
  await scope.waitGroupStable('gantry.recorder');
  const feeder = new JobFeeder(scope);
  const details: Record<string, unknown> = {};
  let waits: Record<string, WaitRow> = {};
  let directHigh: number | null = null;
  let directLow: number | null = null;
  try {
    await warmUp(scope, Math.round(capacity * 2));
    ctx.log(`priority: ${rate} jobs/s (${OVERLOAD}× capacity, ${HIGH_SHARE * 100} % high) for ${durationMs / 1000} s`);
    // Every fifth job is high: evenly interleaved, so both see the same arrival pattern.
    const every = Math.round(1 / HIGH_SHARE);
    const { sent, byPriority } = await feeder.paced(rate, durationMs, (i) => (i % every === 0 ? 'high' : 'low'));
    const deadline = Date.now() + durationMs * 3 + 30_000;
    let done = 0;
    while (Date.now() < deadline) {
      done = await scope.count(`SELECT count(*) AS n FROM jobs WHERE client_id = $1 AND status = 'succeeded'`, [MEASURED_CLIENT]);
      if (done >= sent) break;
      await sleep(250);
    }
    const { rows } = await scope.pg.query<WaitRow>(`
      SELECT priority, count(*) AS n,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY w) AS p50,
             percentile_cont(0.99) WITHIN GROUP (ORDER BY w) AS p99,
             max(w) AS max
      FROM (SELECT priority, (extract(epoch FROM started_at - created_at) * 1000)::float8 AS w FROM jobs WHERE client_id = $1 AND started_at IS NOT NULL) x
      GROUP BY priority`, [MEASURED_CLIENT]);
    waits = Object.fromEntries(rows.map((r) => [r.priority, { ...r, p50: round(r.p50, 1), p99: round(r.p99, 1), max: round(r.max, 1) }]));
    // Per second of arrival: how the waits evolved (a growing low wait is expected; a growing high one is not).
    const { rows: series } = await scope.pg.query<{ s: number; priority: Priority; n: string; p99: number }>(`
      SELECT floor(extract(epoch FROM created_at - first.t))::int AS s, priority, count(*) AS n,
             round((percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM started_at - created_at) * 1000))::numeric, 1)::float8 AS p99
      FROM jobs, (SELECT min(created_at) AS t FROM jobs WHERE client_id = $1) first
      WHERE client_id = $1 AND started_at IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2`, [MEASURED_CLIENT]);
    details.gantry = { rate, sent, byPriority, succeeded: done, waits, perSecond: series.map((r) => ({ ...r, n: Number(r.n) })) };
    ctx.log(`  high p99 ${waits.high?.p99} ms, low p99 ${waits.low?.p99} ms (${done}/${sent} succeeded)`);

    // Baseline: the same arrivals sent straight to the simulator with vLLM's `priority` field
    // (0 high, 2 low): the engine's own priority queue, no Gantry.
    ctx.log(`priority baseline: the same arrivals straight to the simulator for ${durationMs / 1000} s`);
    await sim.reset();
    const second = new LoadGenerator();
    try {
      const target = hostPort(sim.url);
      const common = { target, durationMs, warmupMs: 0, maxConnections: 4096, drainMs: durationMs * 2 + 10_000 };
      const [h, l] = await Promise.all([
        ctx.loadgen.open({ ...common, request: directRequest(0), rate: highRate }),
        second.open({ ...common, request: directRequest(2), rate: rate - highRate }),
      ]);
      // Queue wait = latency − service time (constant in the simulator).
      const wait = (v: number | null) => (v === null ? null : round(Math.max(0, v - SERVICE_MS), 1));
      directHigh = wait(h.latency.p99);
      directLow = wait(l.latency.p99);
      details.direct = { high: h, low: l, p99WaitHigh: directHigh, p99WaitLow: directLow };
      ctx.log(`  direct: high p99 wait ${directHigh} ms, low p99 wait ${directLow} ms`);
    } finally {
      await second.stop();
    }
  } finally {
    await feeder.close();
    await worker.stop();
    await recorder.stop();
    await sim.stop();
  }

  const high = waits.high?.p99 ?? null;
  const low = waits.low?.p99 ?? null;
  const share = high !== null && low !== null && low > 0 ? round(high / low, 3) : null;
  const directShare = directHigh !== null && directLow !== null && directLow > 0 ? round(directHigh / directLow, 3) : null;
  return {
    name: 'priority',
    title: 'Priority isolation: queue wait of high versus low under saturation',
    method: [
      `Same backend as the saturation scenario (${SIM_SLOTS} slots × ${SERVICE_MS} ms, ${round(capacity, 0)} jobs/s at most), worker with ${SIM_SLOTS} slots and the default aging threshold (WORKER_AGING_MS=30000).`,
      `Arrivals: ${rate} jobs/s (${OVERLOAD}× capacity) for ${durationMs / 1000} s, every fifth job high and the rest low, written straight to the job topics at an even pace (every 10 ms) and stamped with their send time as created_at.`,
      `Warm-up: ${Math.round(capacity * 2)} jobs (about 2 s of work) run first and are left out of the figures.`,
      'Queue wait per job: started_at − created_at of its jobs row (the first `started` event of the worker minus the submit time), p50/p99 by priority in Postgres after all jobs finished.',
      "Baseline: the same two arrival streams sent straight to the simulator with vLLM's `priority` field (0 for high, 2 for low), two open-loop generators; wait = latency − the simulator's constant service time.",
    ],
    figures: [
      fig('p99 queue wait, high', 'ms', high, directHigh),
      fig('p99 queue wait, low', 'ms', low, directLow),
      fig('high p99 wait / low p99 wait', '', share, directShare, { target: '≤ 0.1', met: share === null ? false : share <= 0.1 }),
    ],
    details,
    notes: [],
  };
}
