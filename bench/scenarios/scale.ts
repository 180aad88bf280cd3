import { PRIORITIES, Topics } from '@gantry/contracts';
import { type BenchContext, pick, sleep } from '../lib/context';
import { JobFeeder } from '../lib/jobs';
import { type AppProcess, SimProcess } from '../lib/processes';
import { fig, type Figure, type ScenarioResult } from '../lib/report';
import { round } from '../lib/stats';

const WORKER_GROUP = 'gantry.worker.gemma';
const RECORDER_GROUP = 'gantry.recorder';
const WORKER_TOPICS = PRIORITIES.map((p) => Topics.jobs('gemma', p));
/** Flat: the peak at the deepest backlog within this factor of the peak at the shallowest. */
const FLAT_FACTOR = 1.2;

interface MemoryRun {
  waiting: number;
  worker: { peakMiB: number; endMiB: number; hwmMiB: number };
  recorder: { peakMiB: number; endMiB: number; hwmMiB: number };
  /** Job messages the recorder finished (committed) during the window: it works through the backlog meanwhile. */
  recorderMessages: number;
  windowS: number;
}

async function sampleMemory(apps: Record<'worker' | 'recorder', AppProcess>, windowMs: number) {
  const peak = { worker: 0, recorder: 0 };
  const end = { worker: 0, recorder: 0 };
  const until = Date.now() + windowMs;
  while (Date.now() < until) {
    for (const k of ['worker', 'recorder'] as const) {
      const m = apps[k].memory();
      if (!m) throw new Error(`${k} exited during the memory window (see bench/out/logs)`);
      peak[k] = Math.max(peak[k], m.rss);
      end[k] = m.rss;
    }
    await sleep(250);
  }
  const hwm = { worker: apps.worker.memory()?.hwm ?? NaN, recorder: apps.recorder.memory()?.hwm ?? NaN };
  const r = (k: 'worker' | 'recorder') => ({ peakMiB: round(peak[k], 1)!, endMiB: round(end[k], 1)!, hwmMiB: round(hwm[k], 1)! });
  return { worker: r('worker'), recorder: r('recorder') };
}

/**
 * Scale with backlog: worker and recorder resident memory with 10k, 100k and 1M jobs waiting in
 * Kafka, against a simulator so slow that no job finishes (the backlog stays).
 */
export async function scale(ctx: BenchContext): Promise<ScenarioResult> {
  const steps = pick(ctx, [10_000, 100_000, 1_000_000], [10_000, 50_000]);
  const windowMs = pick(ctx, 20_000, 8_000);

  const scope = await ctx.scope('scale');
  // Ten minutes to first token: every job the worker starts holds its slot for the whole window.
  const sim = await SimProcess.start({ ttftMs: 600_000, maxNumSeqs: 256 }, 'sim-scale');
  const env = { GEMMA_BACKEND_URL: sim.url, KAFKA_SESSION_TIMEOUT_MS: '6000' };
  const feeder = new JobFeeder(scope);
  const runs: MemoryRun[] = [];
  const feeds: Array<{ to: number; s: number; perS: number }> = [];
  let produced = 0;

  const measure = async (waiting: number): Promise<MemoryRun> => {
    const t = Date.now();
    const phase = (what: string) => ctx.log(`  ${what} after ${((Date.now() - t) / 1000).toFixed(1)} s`);
    if (runs.length > 0) {
      // Start from the beginning again: both consumers face the whole backlog.
      await scope.waitGroupEmpty(WORKER_GROUP);
      await scope.waitGroupEmpty(RECORDER_GROUP);
      await scope.forgetGroup(WORKER_GROUP);
      await scope.forgetGroup(RECORDER_GROUP);
      phase('groups empty and deleted');
    }
    const worker = await ctx.app('worker', scope, env, `scale-worker-${waiting}`);
    const recorder = await ctx.app('recorder', scope, env, `scale-recorder-${waiting}`);
    phase('processes started');
    try {
      await scope.waitGroupStable(WORKER_GROUP);
      await scope.waitGroupStable(RECORDER_GROUP);
      phase('groups stable');
      ctx.log(`scale: ${waiting} waiting, sampling RSS for ${windowMs / 1000} s`);
      const mem = await sampleMemory({ worker, recorder }, windowMs);
      // The group was deleted before the start, so its committed offsets are this window's work.
      const recorded = await scope.committed(RECORDER_GROUP, WORKER_TOPICS);
      ctx.log(`  worker peak ${mem.worker.peakMiB} MiB, recorder peak ${mem.recorder.peakMiB} MiB (recorder finished ${recorded} job messages)`);
      return { waiting, ...mem, recorderMessages: recorded, windowS: windowMs / 1000 };
    } finally {
      // No drain: the worker's jobs would wait ten minutes for the simulator.
      await worker.kill();
      await recorder.kill();
    }
  };

  try {
    runs.push(await measure(0));
    for (const target of steps) {
      const add = target - produced;
      ctx.log(`scale: producing ${add} jobs (to ${target} waiting)`);
      const t = Date.now();
      // Spread over the three priority topics, so all of the worker's queues fill.
      for (const p of PRIORITIES) await feeder.backlog(Math.round(add / PRIORITIES.length), p);
      produced = await scope.topicDepth(WORKER_TOPICS);
      const s = (Date.now() - t) / 1000;
      feeds.push({ to: produced, s: round(s, 1)!, perS: round(add / s, 0)! });
      runs.push(await measure(produced));
    }
  } finally {
    await feeder.close();
    await sim.stop();
  }

  const idle = runs[0];
  const loaded = runs.slice(1);
  const lastRun = loaded[loaded.length - 1];
  const before = loaded[loaded.length - 2] ?? loaded[0];
  const flat = (k: 'worker' | 'recorder') => lastRun[k].peakMiB <= before[k].peakMiB * FLAT_FACTOR;
  const flatTarget = `flat (≤ ${FLAT_FACTOR}× the peak with ${before.waiting.toLocaleString('en')} waiting)`;
  const figures: Figure[] = [];
  for (const r of loaded) {
    const label = r.waiting >= 1_000_000 ? `${r.waiting / 1_000_000}M` : `${Math.round(r.waiting / 1000)}k`;
    const last = r === lastRun;
    figures.push(
      fig(`worker peak RSS, ${label} waiting`, 'MiB', r.worker.peakMiB, idle.worker.peakMiB, last ? { target: flatTarget, met: flat('worker') } : {}),
      fig(`recorder peak RSS, ${label} waiting`, 'MiB', r.recorder.peakMiB, idle.recorder.peakMiB, {
        note: `recorded ${r.recorderMessages.toLocaleString('en')} job messages in ${r.windowS} s`,
        ...(last ? { target: flatTarget, met: flat('recorder') } : {}),
      }),
    );
  }
  return {
    name: 'scale',
    title: 'Scale with backlog: worker and recorder memory with jobs waiting',
    method: [
      `Backlogs of ${steps.map((s) => s.toLocaleString('en')).join(', ')} valid job messages written straight to the gemma job topics (spread over the three priorities, batches of 5,000), 6 partitions each.`,
      'The simulator takes ten minutes to the first token, so no job finishes and the backlog stays; the worker runs with its defaults (WORKER_MAX_CONCURRENT=16, WORKER_MAX_WAITING=64 per priority) and the recorder with its defaults (it records every job message as a queued row, so it works through the backlog during the window).',
      `For each backlog, fresh worker and recorder processes start with their consumer groups deleted beforehand, so they start from the beginning of the topics; RSS (VmRSS from /proc/<pid>/status) is sampled every 250 ms for ${windowMs / 1000} s after both groups are stable; the figure is the largest sample. Both processes are then killed (SIGKILL; session timeout 6 s).`,
      'Baseline: the same processes with nothing waiting (an empty topic), same window. There is no "without Gantry" version of a consumer\'s memory.',
      `Flat means the peak at the deepest backlog is at most ${FLAT_FACTOR}× the peak at the step before it (ten times fewer jobs waiting). The recorder does not keep a backlog: it records job messages as fast as it can, so its peak follows the work it did in the window (shown beside it) until that work is the same.`,
    ],
    figures,
    details: { runs, feeds },
    notes: feeds.map((f) => `Producing up to ${f.to.toLocaleString('en')} took ${f.s} s (${f.perS.toLocaleString('en')} messages/s).`),
  };
}
