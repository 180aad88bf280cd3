import autocannon from 'autocannon';
import { authHeaders, BENCH_CLIENT } from '../lib/auth';
import { type BenchContext, hostPort, pick } from '../lib/context';
import { CHAT_REQUEST, DIRECT_SIM_BODY } from '../lib/jobs';
import type { OpenLoopResult, RequestSpec } from '../lib/loadgen';
import { CpuMeter } from '../lib/proc';
import { SimProcess } from '../lib/processes';
import { fig, type Figure, type ScenarioResult } from '../lib/report';
import { round } from '../lib/stats';

const TARGET_RPS = 2000;
const TARGET_P99_MS = 25;

export function submitRequest(): RequestSpec {
  return {
    method: 'POST',
    path: '/api/chat',
    headers: { 'content-type': 'application/json', ...authHeaders(BENCH_CLIENT, { 'x-priority': 'normal' }) },
    body: JSON.stringify(CHAT_REQUEST),
  };
}

/** The synchronous OpenAI-compatible call through Gantry (`POST /v1/chat/completions`). */
export function syncRequest(): RequestSpec {
  return { ...submitRequest(), path: '/v1/chat/completions' };
}

export function directRequest(priority?: number): RequestSpec {
  const body = priority === undefined ? DIRECT_SIM_BODY : JSON.stringify({ ...JSON.parse(DIRECT_SIM_BODY), priority });
  return { method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, body };
}

/**
 * Ingest: what the gateway alone sustains. Only the gateway runs (no worker, no recorder), so
 * accepted jobs stay in Kafka; each submit is validated, published with acks=all and its hot copy
 * written to Redis before the 202, as in production.
 */
export async function ingest(ctx: BenchContext): Promise<ScenarioResult> {
  const loads = pick(ctx, [500, 1000, 2000, 3000], [1000, 2000]);
  const durationMs = pick(ctx, 30_000, 5_000);
  const baselineMs = pick(ctx, 10_000, 3_000);
  const warmupMs = pick(ctx, 3_000, 1_000);
  const maxDurationS = pick(ctx, 10, 3);

  const scope = await ctx.scope('ingest');
  const sim = await SimProcess.start({}, 'sim-ingest');
  const gateway = await ctx.app('gateway', scope, { PORT: '0', HOST: '127.0.0.1', GEMMA_BACKEND_URL: sim.url, JOB_HOT_TTL_SECONDS: '300' });
  const gw = hostPort(gateway.url);
  const sm = hostPort(sim.url);
  const details: Record<string, unknown> = {};
  const figures: Figure[] = [];
  const open = (target: { host: string; port: number }, request: RequestSpec, rate: number, ms: number) =>
    ctx.loadgen.open({ target, request, rate, durationMs: ms, warmupMs, maxConnections: 1024, drainMs: 10_000 });

  try {
    const runs: Array<{ rate: number; gantry: OpenLoopResult; direct: OpenLoopResult; gatewayCpuMsPerReq: number | null; simCpuMsPerReq: number | null; machineBusy: number }> = [];
    for (const rate of loads) {
      ctx.log(`ingest: ${rate}/s for ${durationMs / 1000} s through the gateway`);
      const meter = new CpuMeter({ gateway: gateway.pid });
      const g = await open(gw, submitRequest(), rate, durationMs);
      const used = meter.read();
      ctx.log(`ingest: ${rate}/s direct to the simulator for ${baselineMs / 1000} s`);
      const simMeter = new CpuMeter({ sim: sim.pid });
      const d = await open(sm, directRequest(), rate, baselineMs);
      const simUsed = simMeter.read();
      const perReq = (cpu: number, total: number) => (total > 0 ? round(cpu / total, 3) : null);
      runs.push({
        rate,
        gantry: g,
        direct: d,
        // Warm-up requests used CPU too: divide by everything sent.
        gatewayCpuMsPerReq: perReq(used.cpuMs.gateway, g.sent + (rate * warmupMs) / 1000),
        simCpuMsPerReq: perReq(simUsed.cpuMs.sim, d.sent + (rate * warmupMs) / 1000),
        machineBusy: used.machineBusy,
      });
      ctx.log(`  gantry ${g.achievedRps}/s p50 ${g.latency.p50} p99 ${g.latency.p99} errors ${g.errors}; direct ${d.achievedRps}/s p99 ${d.latency.p99}`);
    }
    details.openLoop = runs;

    for (const r of runs) {
      const sustained = r.gantry.errors === 0 && r.gantry.achievedRps >= r.rate * 0.99;
      const isTarget = r.rate === TARGET_RPS;
      figures.push(
        fig(`submits/s at ${r.rate}/s offered`, '/s', r.gantry.achievedRps, r.direct.achievedRps, {
          note: r.gantry.errors ? `${r.gantry.errors} errors (${Object.entries(r.gantry.statuses).map(([k, v]) => `${k}:${v}`).join(' ')})` : undefined,
          ...(isTarget ? { target: `≥ ${TARGET_RPS}/s`, met: sustained } : {}),
        }),
        fig(`p50 submit latency at ${r.rate}/s`, 'ms', r.gantry.latency.p50, r.direct.latency.p50),
        fig(`p99 submit latency at ${r.rate}/s`, 'ms', r.gantry.latency.p99, r.direct.latency.p99, isTarget ? { target: `≤ ${TARGET_P99_MS} ms`, met: r.gantry.latency.p99 !== null && r.gantry.latency.p99 <= TARGET_P99_MS && sustained } : {}),
      );
    }
    const atTarget = runs.find((r) => r.rate === TARGET_RPS) ?? runs[runs.length - 1];
    figures.push(fig(`CPU per request at ${atTarget.rate}/s (gateway process / sim process)`, 'ms', atTarget.gatewayCpuMsPerReq, atTarget.simCpuMsPerReq));
    const best = [...runs].reverse().find((r) => r.gantry.errors === 0 && r.gantry.achievedRps >= r.rate * 0.99 && (r.gantry.latency.p99 ?? Infinity) <= TARGET_P99_MS);
    figures.push(fig('highest offered load sustained with p99 ≤ 25 ms', '/s', best?.rate ?? null, null, { note: `of ${loads.join(', ')}/s` }));

    ctx.log(`ingest: closed loop, 64 connections, ${maxDurationS} s each (autocannon)`);
    const body = submitRequest();
    const ac = await autocannon({ url: `${gateway.url}/api/chat`, method: 'POST', headers: body.headers, body: body.body, connections: 64, duration: maxDurationS });
    const acDirect = await autocannon({ url: `${sim.url}/v1/chat/completions`, method: 'POST', headers: directRequest().headers, body: DIRECT_SIM_BODY, connections: 64, duration: maxDurationS });
    details.closedLoop = { gantry: pickAc(ac), direct: pickAc(acDirect) };
    figures.push(
      fig('max submits/s, closed loop (64 conns)', '/s', round(ac['2xx'] / maxDurationS, 0), round(acDirect['2xx'] / maxDurationS, 0), {
        note: `p99 ${ac.latency.p99} ms vs ${acDirect.latency.p99} ms${ac.non2xx || ac.errors ? `; ${ac.non2xx} non-2xx, ${ac.errors} errors` : ''}`,
      }),
    );
  } finally {
    await gateway.stop();
    await sim.stop();
  }

  return {
    name: 'ingest',
    title: 'Ingest: submits per second the gateway sustains',
    method: [
      `Only the gateway runs (own process, from the build), in front of the real Kafka (6 partitions per job topic) and Redis; no worker or recorder, so the figure is the gateway alone.`,
      `Open-loop load (bench/lib/loadgen.ts, own process): requests are due at evenly spaced instants at each offered load (${loads.join(', ')}/s), ${durationMs / 1000} s each after ${warmupMs / 1000} s warm-up; latency runs from the instant a request was due, not when a connection was free, so queueing in the client counts (no coordinated omission). Up to 1024 keep-alive connections.`,
      `Baseline: the same generator posting the worker's request body straight to the simulator (zero latency) at the same loads, ${baselineMs / 1000} s each.`,
      `CPU per request: user+system CPU of the gateway process (from /proc) during the load, divided by requests sent including warm-up; baseline: the simulator process's.`,
      `Closed-loop maximum: autocannon, 64 connections, ${maxDurationS} s, against each; 2xx answers per second.`,
    ],
    figures,
    details,
    notes: [],
  };
}

function pickAc(r: autocannon.Result) {
  return { rps2xx: r['2xx'] / r.duration, latency: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max }, non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts };
}
