import { authHeaders, BENCH_CLIENT } from '../lib/auth';
import { type BenchContext, pick, sleep } from '../lib/context';
import type { AppProcess } from '../lib/processes';
import { SimProcess } from '../lib/processes';
import { fig, type ScenarioResult } from '../lib/report';
import { round } from '../lib/stats';

/** Samples a process's RSS every 100 ms until stopped; returns the peak in MiB. */
function peakRss(app: AppProcess): { stop(): number; baseline: number } {
  const baseline = app.memory()?.rss ?? NaN;
  let peak = baseline;
  const timer = setInterval(() => {
    const m = app.memory();
    if (m) peak = Math.max(peak, m.rss);
  }, 100);
  return { baseline, stop: () => (clearInterval(timer), peak) };
}

/**
 * Batch: a 50,000-line JSONL upload to `POST /api/batches` (raw body), every line a distinct chat
 * request, against a zero-latency simulator. Times: accepted (the 202), expanded (every child
 * published to Kafka by the recorder's expander), completed (output file written). Peaks: the
 * gateway's RSS during the upload, the recorder's during expansion.
 */
export async function batch(ctx: BenchContext): Promise<ScenarioResult> {
  const lines = pick(ctx, 50_000, 5_000);
  const scope = await ctx.scope('batch');
  const sim = await SimProcess.start({}, 'sim-batch');
  const env = { GEMMA_BACKEND_URL: sim.url, BATCH_SWEEP_INTERVAL_MS: '500' };
  const recorder = await ctx.app('recorder', scope, env);
  const worker = await ctx.app('worker', scope, env);
  const gateway = await ctx.app('gateway', scope, { ...env, PORT: '0', HOST: '127.0.0.1' });
  await scope.waitGroupStable('gantry.recorder');
  await scope.waitGroupStable('gantry.worker.gemma');
  try {
    const body = Buffer.from(
      Array.from({ length: lines }, (_, i) =>
        JSON.stringify({ custom_id: `line-${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'gemma-3-4b-it', max_tokens: 16, messages: [{ role: 'user', content: `bench batch line ${i}: say something short` }] } }),
      ).join('\n'),
    );
    ctx.log(`batch: uploading ${lines} lines (${round(body.length / 1024 / 1024, 1)} MiB) to POST /api/batches`);
    const gwMem = peakRss(gateway);
    const recMem = peakRss(recorder);
    const t0 = performance.now();
    const res = await fetch(`${gateway.url}/api/batches?priority=low`, { method: 'POST', headers: { ...authHeaders(BENCH_CLIENT), 'content-type': 'application/jsonl' }, body });
    const accepted = (await res.json()) as { batch_id?: string; status?: string; code?: string; detail?: string };
    const acceptS = (performance.now() - t0) / 1000;
    const gatewayPeak = gwMem.stop();
    if (res.status !== 202 || !accepted.batch_id) throw new Error(`upload refused: ${res.status} ${JSON.stringify(accepted)}`);
    const id = accepted.batch_id;
    ctx.log(`  accepted in ${round(acceptS, 2)} s; gateway RSS ${round(gwMem.baseline, 0)} → peak ${round(gatewayPeak, 0)} MiB`);

    let expandS: number | null = null;
    let completeS: number | null = null;
    let recorderPeak = NaN;
    const deadline = Date.now() + pick(ctx, 900_000, 300_000);
    while (Date.now() < deadline) {
      const { rows } = await scope.pg.query<{ expanded_through: number; last_leader_line: number; status: string }>('SELECT expanded_through, last_leader_line, status FROM batches WHERE id = $1', [id]);
      const row = rows[0];
      if (row && expandS === null && row.expanded_through >= row.last_leader_line) {
        expandS = (performance.now() - t0) / 1000;
        recorderPeak = recMem.stop();
        ctx.log(`  expanded after ${round(expandS, 1)} s; recorder RSS ${round(recMem.baseline, 0)} → peak ${round(recorderPeak, 0)} MiB`);
      }
      if (row?.status === 'completed' || row?.status === 'failed') {
        completeS = (performance.now() - t0) / 1000;
        ctx.log(`  ${row.status} after ${round(completeS, 1)} s`);
        break;
      }
      await sleep(250);
    }
    if (expandS === null) recMem.stop();
    const view = (await (await fetch(`${gateway.url}/api/batches/${id}`, { headers: authHeaders(BENCH_CLIENT) })).json()) as { status: string; request_counts: Record<string, number> };
    return {
      name: 'batch',
      title: `Batch: accept, expand and complete a ${lines.toLocaleString('en')}-line batch`,
      method: [
        `One JSONL body of ${lines.toLocaleString('en')} distinct chat lines (${round(body.length / 1024 / 1024, 1)} MiB) sent raw to POST /api/batches (priority low). Gateway, recorder (its expander publishes the children, BATCH_EXPAND_RATE=${2000}/s and chunks of 500 by default) and one worker run as their own processes from the build; the simulator answers at once.`,
        'Accepted: until the 202 (the file is streamed into Postgres and every line validated). Expanded: until batches.expanded_through reaches the last line. Completed: until the batch is completed (output file assembled). Peak RSS from /proc every 100 ms: the gateway during the upload, the recorder until expansion ends.',
        'No baseline: the simulator has no batch API.',
      ],
      figures: [
        fig(`time to accept ${lines.toLocaleString('en')} lines (202)`, 's', round(acceptS, 2), null),
        fig('time to expand (every child in Kafka)', 's', expandS === null ? null : round(expandS, 1), null, { note: 'bounded by BATCH_EXPAND_RATE (2,000 lines/s by default)' }),
        fig('time to complete (output file written)', 's', completeS === null ? null : round(completeS, 1), null, { note: `status ${view.status}, counts ${JSON.stringify(view.request_counts)}` }),
        fig('gateway peak RSS during the upload', 'MiB', round(gatewayPeak, 0), round(gwMem.baseline, 0), { note: 'baseline: the same gateway before the upload' }),
        fig('recorder peak RSS while expanding', 'MiB', Number.isNaN(recorderPeak) ? null : round(recorderPeak, 0), round(recMem.baseline, 0), { note: 'baseline: the same recorder before the upload' }),
      ],
      details: { lines, bytes: body.length, acceptS, expandS, completeS, gatewayPeak, recorderPeak, view },
      notes: [],
    };
  } finally {
    await gateway.stop();
    await worker.stop();
    await recorder.stop();
    await sim.stop();
  }
}
