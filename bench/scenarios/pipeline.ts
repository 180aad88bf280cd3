import { authHeaders, BENCH_CLIENT } from '../lib/auth';
import { type BenchContext, hostPort, pick, sleep } from '../lib/context';
import { JobFeeder, MEASURED_CLIENT, warmUp } from '../lib/jobs';
import { CpuMeter } from '../lib/proc';
import { SimProcess } from '../lib/processes';
import { fig, type Figure, type ScenarioResult } from '../lib/report';
import type { Scope } from '../lib/scope';
import { round } from '../lib/stats';
import { directRequest, submitRequest, syncRequest } from './ingest';

const TARGET_JOBS_PER_S = 1000;

interface Point {
  t: number;
  done: number;
}

/** Time (ms after t0) at which `done` first reached `n`, interpolated between samples. */
function timeToReach(points: Point[], n: number): number | null {
  for (let i = 0; i < points.length; i++) {
    if (points[i].done >= n) {
      if (i === 0) return points[0].t;
      const a = points[i - 1];
      const b = points[i];
      return a.t + ((n - a.done) / Math.max(1, b.done - a.done)) * (b.t - a.t);
    }
  }
  return null;
}

async function waitSucceeded(scope: Scope, n: number, timeoutMs: number, t0: number): Promise<Point[]> {
  const points: Point[] = [];
  const deadline = t0 + timeoutMs;
  for (;;) {
    const done = await scope.count(`SELECT count(*) AS n FROM jobs WHERE client_id = $1 AND status = 'succeeded'`, [MEASURED_CLIENT]);
    points.push({ t: Date.now() - t0, done });
    if (done >= n || Date.now() > deadline) return points;
    await sleep(100);
  }
}

/**
 * Pipeline (jobs/s through Kafka → worker → recorder → Postgres), end-to-end latency to a result
 * visible by polling, and the overhead of submit + poll against a direct call. One scope, one set of
 * processes: gateway, worker and recorder as in production, with a zero-latency simulator.
 */
export async function pipeline(ctx: BenchContext): Promise<ScenarioResult[]> {
  const backlog = pick(ctx, 20_000, 4_000);
  const warmup = pick(ctx, 3_000, 1_000);
  const baselineMs = pick(ctx, 10_000, 3_000);
  const e2eMs = pick(ctx, 20_000, 5_000);
  const overheadMs = pick(ctx, 10_000, 3_000);
  const concurrencies = [1, 16];

  const scope = await ctx.scope('pipeline');
  const sim = await SimProcess.start({}, 'sim-pipeline');
  const env = { GEMMA_BACKEND_URL: sim.url, JOB_HOT_TTL_SECONDS: '600' };
  const recorder = await ctx.app('recorder', scope, env);
  const worker = await ctx.app('worker', scope, env);
  const gateway = await ctx.app('gateway', scope, { ...env, PORT: '0', HOST: '127.0.0.1' });
  await scope.waitGroupStable('gantry.recorder');
  await scope.waitGroupStable('gantry.worker.gemma');
  const feeder = new JobFeeder(scope);
  const gw = hostPort(gateway.url);
  const sm = hostPort(sim.url);

  const pipelineFigures: Figure[] = [];
  const overheadFigures: Figure[] = [];
  const details: Record<string, unknown> = {};
  const overheadDetails: Record<string, unknown> = {};
  try {
    ctx.log(`pipeline: warming up with ${warmup} jobs`);
    await warmUp(scope, warmup);
    // --- drain a backlog: jobs/s through the whole pipeline
    ctx.log(`pipeline: ${backlog} jobs into Kafka, drained by worker + recorder`);
    const meter = new CpuMeter({ worker: worker.pid, recorder: recorder.pid, sim: sim.pid });
    const t0 = Date.now();
    const feedRate = await feeder.backlog(backlog, 'normal');
    const points = await waitSucceeded(scope, backlog, Math.max(60_000, backlog * 10), t0);
    const cpu = meter.read();
    const last = points[points.length - 1];
    const t10 = timeToReach(points, backlog * 0.1);
    const t90 = timeToReach(points, backlog * 0.9);
    const tAll = timeToReach(points, backlog);
    const steady = t10 !== null && t90 !== null && t90 > t10 ? round((backlog * 0.8 * 1000) / (t90 - t10), 0) : null;
    const overall = tAll !== null ? round((backlog * 1000) / tAll, 0) : null;
    const perJob = (ms: number) => round(ms / Math.max(1, last.done), 3);
    details.drain = { backlog, feedRatePerS: round(feedRate, 0), succeeded: last.done, msToAll: tAll, ms10to90: t10 !== null && t90 !== null ? t90 - t10 : null, steadyJobsPerS: steady, overallJobsPerS: overall, cpu, points };
    ctx.log(`  steady ${steady} jobs/s, overall ${overall} jobs/s, worker ${perJob(cpu.cpuMs.worker)} ms CPU/job, recorder ${perJob(cpu.cpuMs.recorder)} ms CPU/job`);

    ctx.log(`pipeline baseline: direct simulator calls, 16 concurrent, ${baselineMs / 1000} s`);
    const direct16 = await ctx.loadgen.closed({ target: sm, concurrency: 16, durationMs: baselineMs, warmupMs: 1000, mode: 'direct', request: directRequest() });
    details.baselineDirect16 = direct16;
    pipelineFigures.push(
      fig('jobs/s through Kafka → worker → recorder → Postgres (steady, 10–90 %)', '/s', steady, direct16.rps, {
        target: `≥ ${TARGET_JOBS_PER_S}/s`,
        met: steady === null ? false : steady >= TARGET_JOBS_PER_S,
        note: last.done < backlog ? `only ${last.done}/${backlog} succeeded before the time limit` : `baseline: 16 concurrent direct calls`,
      }),
      fig('jobs/s overall (first produce → last row succeeded)', '/s', overall, direct16.rps),
      fig('CPU per job: worker / simulator', 'ms', perJob(cpu.cpuMs.worker), round(cpu.cpuMs.sim / Math.max(1, last.done), 3)),
      fig('CPU per job: recorder / simulator', 'ms', perJob(cpu.cpuMs.recorder), round(cpu.cpuMs.sim / Math.max(1, last.done), 3)),
    );

    // --- end-to-end latency at a steady submit rate, visibility by polling. Half the measured drain
    // rate: the latency of a pipeline that keeps up, not of a queue that grows.
    const e2eRate = Math.max(20, Math.min(500, Math.round(((steady ?? 40) * 0.5) / 10) * 10));
    ctx.log(`pipeline: ${e2eRate}/s through the gateway for ${e2eMs / 1000} s, every 10th job long-polled until visible`);
    const pollHeaders = authHeaders(BENCH_CLIENT);
    const e2e = await ctx.loadgen.open({
      target: gw,
      request: submitRequest(),
      rate: e2eRate,
      durationMs: e2eMs,
      warmupMs: 2000,
      maxConnections: 256,
      drainMs: 10_000,
      // Long-poll: one held GET per state change. Plain polling every few ms of every sampled job
      // loads the gateway more as latency grows, and so measures its own load.
      poll: { sampleEvery: 10, intervalMs: 0, waitS: 30, headers: pollHeaders, timeoutMs: 60_000 },
    });
    const directAtRate = await ctx.loadgen.open({ target: sm, request: directRequest(), rate: e2eRate, durationMs: Math.min(e2eMs, baselineMs), warmupMs: 1000, maxConnections: 256, drainMs: 5_000 });
    details.e2e = { rate: e2eRate, gantry: e2e, direct: directAtRate };
    const v = e2e.visible!;
    ctx.log(`  visible p50 ${v.p50} p99 ${v.p99} (${v.n} sampled, ${v.notVisible} not visible); direct p50 ${directAtRate.latency.p50} p99 ${directAtRate.latency.p99}`);
    pipelineFigures.push(
      fig(`p50 submit → result visible by polling, at ${e2eRate}/s`, 'ms', v.p50, directAtRate.latency.p50, { note: `${v.n} sampled jobs${v.notVisible ? `, ${v.notVisible} never visible` : ''}; baseline: direct call latency` }),
      fig(`p99 submit → result visible by polling, at ${e2eRate}/s`, 'ms', v.p99, directAtRate.latency.p99),
    );

    // --- overhead: submit + poll until done versus a direct call, same concurrency (closed loop)
    for (const c of concurrencies) {
      const windowStart = new Date();
      ctx.log(`overhead: concurrency ${c}, submit + long-poll vs direct, ${overheadMs / 1000} s each`);
      const s = await ctx.loadgen.closed({ target: gw, concurrency: c, durationMs: overheadMs, warmupMs: 1000, mode: 'direct', request: syncRequest() });
      const g = await ctx.loadgen.closed({ target: gw, concurrency: c, durationMs: overheadMs, warmupMs: 1000, mode: 'submit-poll', request: submitRequest(), poll: { gapMs: 0, waitS: 30, headers: pollHeaders } });
      const d = await ctx.loadgen.closed({ target: sm, concurrency: c, durationMs: Math.min(overheadMs, baselineMs), warmupMs: 1000, mode: 'direct', request: directRequest() });
      // Where one job's time goes, from its row: gateway → worker start (Kafka, scheduler), run
      // (backend call and the started event), worker end → row written (events topic, recorder).
      const { rows: stages } = await scope.pg.query<{ stage: string; p50: number; p99: number }>(
        `SELECT stage, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99
         FROM (SELECT unnest(ARRAY['1 submit → worker started', '2 started → finished (backend call)', '3 finished → row written']) AS stage,
                      unnest(ARRAY[extract(epoch FROM started_at - created_at), extract(epoch FROM finished_at - started_at), extract(epoch FROM updated_at - finished_at)])::float8 * 1000 AS ms
               FROM jobs WHERE client_id = $1 AND status = 'succeeded' AND created_at >= $2) x
         GROUP BY stage ORDER BY stage`,
        [BENCH_CLIENT, windowStart],
      );
      overheadDetails[`c${c}`] = { sync: s, gantry: g, direct: d, stages: stages.map((r) => ({ stage: r.stage, p50: round(r.p50, 1), p99: round(r.p99, 1) })) };
      ctx.log(`  stages (p50): ${stages.map((r) => `${r.stage.slice(2)} ${round(r.p50, 1)} ms`).join(', ')}`);
      const added = (a: number | null, b: number | null) => (a !== null && b !== null ? round(a - b, 2) : null);
      ctx.log(`  sync p50 ${s.latency.p50} p99 ${s.latency.p99}; submit+poll p50 ${g.latency.p50} p99 ${g.latency.p99} (${g.pollsPerJob} polls/job); direct p50 ${d.latency.p50} p99 ${d.latency.p99}`);
      const syncAdded = added(s.latency.p50, d.latency.p50);
      overheadFigures.push(
        fig(`added p50, sync /v1/chat/completions, concurrency ${c}`, 'ms', syncAdded, null, {
          target: c === 1 ? '≤ 5 ms' : undefined,
          met: c === 1 ? syncAdded !== null && syncAdded <= 5 : undefined,
          note: `gantry ${s.latency.p50} ms vs direct ${d.latency.p50} ms${s.errors ? `; ${s.errors} errors (${s.firstError ?? ''})` : ''}`,
        }),
        fig(`added p99, sync /v1/chat/completions, concurrency ${c}`, 'ms', added(s.latency.p99, d.latency.p99), null, { note: `gantry ${s.latency.p99} ms vs direct ${d.latency.p99} ms` }),
        fig(`round trips/s, sync vs direct, concurrency ${c}`, '/s', s.rps, d.rps),
        fig(`added p50, submit + long-poll, concurrency ${c}`, 'ms', added(g.latency.p50, d.latency.p50), null, {
          note: `gantry ${g.latency.p50} ms vs direct ${d.latency.p50} ms; ${g.pollsPerJob} GETs/job${g.errors ? `; ${g.errors} errors` : ''}`,
        }),
        fig(`added p99, submit + long-poll, concurrency ${c}`, 'ms', added(g.latency.p99, d.latency.p99), null, { note: `gantry ${g.latency.p99} ms vs direct ${d.latency.p99} ms` }),
        fig(`round trips/s, submit + long-poll vs direct, concurrency ${c}`, '/s', g.rps, d.rps),
        ...(c === 1 ? stages.map((r) => fig(`  p50 stage, concurrency 1: ${r.stage.slice(2)}`, 'ms', round(r.p50, 1), null, { note: `p99 ${round(r.p99, 1)} ms (from the jobs rows)` })) : []),
      );
    }
  } finally {
    await feeder.close();
    await gateway.stop();
    await worker.stop();
    await recorder.stop();
    await sim.stop();
  }

  return [
    {
      name: 'pipeline',
      title: 'Pipeline: jobs per second through Kafka → worker → recorder → Postgres',
      method: [
        'Gateway, worker (WORKER_MAX_CONCURRENT=16, the default) and recorder run as separate processes from the build; the simulator answers at once (zero latency) in its own process; job topics have 6 partitions.',
        `Warm-up: ${warmup} jobs through worker and recorder first (not measured), so the figures are for warm processes.`,
        `Throughput: ${backlog} valid job messages (libs/contracts JobMessage, the gateway's key and partitioner) are written straight to the job topic in batches of 5,000 while worker and recorder are running; Postgres is polled every 100 ms for rows with status succeeded. "Steady" is 80 % of the jobs divided by the time between 10 % and 90 % succeeded (ramp-up and tail excluded); "overall" counts from the first produce to the last row.`,
        `Baseline: 16 concurrent closed-loop direct calls to the same simulator (the worker's concurrency), ${baselineMs / 1000} s.`,
        'CPU per job: user+system CPU of each process (from /proc) during the drain, divided by jobs succeeded.',
        `Latency: open-loop submits through the gateway at half the steady drain rate just measured (${String(details.e2e && (details.e2e as { rate: number }).rate)}/s, between 20 and 500) for ${e2eMs / 1000} s; every 10th accepted job is long-polled (GET /api/jobs/{id}?wait=30, repeated until its status is terminal), measured from the instant the submit was due to the answer that shows the result. Baseline: direct simulator call latency at the same rate.`,
      ],
      figures: pipelineFigures,
      details,
      notes: [],
    },
    {
      name: 'overhead',
      title: 'Overhead: the sync path and submit + long-poll versus a direct simulator call',
      method: [
        `Closed loop at concurrency ${concurrencies.join(' and ')}, each ${overheadMs / 1000} s after 1 s warm-up, same processes as the pipeline scenario (zero-latency simulator). Sync: each lane calls POST /v1/chat/completions (the job goes through Kafka, the worker and the backend; the gateway answers when the worker publishes the outcome Kafka has acknowledged). Submit + long-poll: POST /api/chat, then GET /api/jobs/{id}?wait=30 until terminal (the answer waits for the recorder's write). Baseline: the same lanes calling the simulator directly. Added = Gantry − direct, per percentile.`,
      ],
      figures: overheadFigures,
      details: overheadDetails,
      notes: [],
    },
  ];
}
