// `npm run bench` (see bench/run.sh): every scenario of issue 8 against the real local stack, each
// with its baseline (the client calling the simulator directly), one table on stdout, and
// bench/results.json + bench/RESULTS.md. Options:
//   --quick            shorter loads and smaller backlogs, for iterating (not for the record)
//   --only a,b         run only these scenarios (ingest, pipeline, saturation, priority, scale, batch)
//   --profile          write V8 CPU profiles of the gateway, worker and recorder to bench/out/profiles
//                      and summarise their top self-time functions (profiling perturbs the figures)
//   --no-write         print the table only (do not overwrite bench/RESULTS.md and results.json)
//   --render           only rewrite bench/RESULTS.md from bench/results.json (after editing FINDINGS.md)
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Logger } from '@nestjs/common';
import type { BenchContext } from './lib/context';
import { machineInfo } from './lib/machine';
import { summariseProfiles } from './lib/profile';
import { CpuMeter, processSnapshot, topCpuBetween } from './lib/proc';
import { APP_DIR, AppProcess, LoadGenerator, OUT, ROOT } from './lib/processes';
import { markdownTable, type ScenarioResult, tableRows, textTable } from './lib/report';
import { type RunRecord, writeResultsMarkdown } from './lib/results-md';
import { Scope } from './lib/scope';
import { batch } from './scenarios/batch';
import { ingest } from './scenarios/ingest';
import { pipeline } from './scenarios/pipeline';
import { priority } from './scenarios/priority';
import { saturation } from './scenarios/saturation';
import { scale } from './scenarios/scale';

// `pipeline` also reports `overhead` (same processes); every other scenario reports itself.
const SCENARIOS: Record<string, (ctx: BenchContext) => Promise<ScenarioResult | ScenarioResult[]>> = { ingest, pipeline, saturation, priority, scale, batch };

function parseArgs(argv: string[]) {
  const only = argv.find((a) => a.startsWith('--only'))?.split('=')[1] ?? (argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined);
  const names = only ? only.split(',') : Object.keys(SCENARIOS);
  for (const n of names) if (!SCENARIOS[n]) throw new Error(`unknown scenario ${n}; known: ${Object.keys(SCENARIOS).join(', ')}`);
  return { quick: argv.includes('--quick'), profile: argv.includes('--profile'), write: !argv.includes('--no-write'), names };
}

/** `--render`: rewrite bench/RESULTS.md from bench/results.json (e.g. after editing bench/FINDINGS.md). */
function render(): void {
  const record = JSON.parse(readFileSync(join(ROOT, 'bench/results.json'), 'utf8')) as RunRecord;
  writeResultsMarkdown(join(ROOT, 'bench/RESULTS.md'), record, markdownTable(tableRows(record.results)));
}

async function main(): Promise<void> {
  if (process.argv.includes('--render')) return render();
  // The libraries the runner borrows (topic bootstrap, migrations) log through Nest: keep stdout for the table.
  Logger.overrideLogger(false);
  const args = parseArgs(process.argv.slice(2));
  const started = new Date();
  const runId = `bench_${started.getTime().toString(36)}`;
  const log = (msg: string) => process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${msg}\n`);
  const t0 = performance.now();

  // Run Gantry from a snapshot of the build: other engineers may rebuild dist/ meanwhile.
  if (!existsSync(join(ROOT, 'dist/apps/gateway/src/main.js'))) throw new Error('dist/ is not built: run `npx nest build` (npm run bench does)');
  rmSync(join(OUT, 'logs'), { recursive: true, force: true });
  rmSync(APP_DIR, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  cpSync(join(ROOT, 'dist'), APP_DIR, { recursive: true });
  const profileDir = args.profile ? join(OUT, 'profiles', runId) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });

  const before = await machineInfo();
  log(`run ${runId}${args.quick ? ' (quick)' : ''}: ${args.names.join(', ')} on ${before.cpus}×${before.cpuModel}, load ${before.loadavg.join(' ')}`);

  const scopes: Scope[] = [];
  const apps = new Set<AppProcess>();
  const loadgen = new LoadGenerator();
  const ctx: BenchContext = {
    runId,
    quick: args.quick,
    profileDir,
    loadgen,
    log,
    async scope(name, jobPartitions = 6) {
      const s = new Scope(runId, name, jobPartitions);
      scopes.push(s);
      await s.setup();
      return s;
    },
    async app(name, scope, env = {}, label) {
      const tag = label ?? `${scope.name}-${name}`;
      const app = await AppProcess.start(name, scope.appEnv(env), { cpuProfDir: profileDir, label: tag });
      apps.add(app);
      app.proc.once('exit', () => apps.delete(app));
      return app;
    },
  };

  let interrupted = false;
  const cleanup = async () => {
    for (const a of apps) await a.kill().catch(() => undefined);
    await loadgen.stop().catch(() => undefined);
    for (const s of scopes) {
      const problems = await s.cleanup();
      for (const p of problems) log(`clean-up of ${s.name}: ${p}`);
    }
  };
  process.once('SIGINT', () => {
    interrupted = true;
    log('interrupted: cleaning up');
    void cleanup().finally(() => process.exit(130));
  });

  const results: ScenarioResult[] = [];
  try {
    for (const name of args.names) {
      if (interrupted) break;
      const s0 = performance.now();
      log(`— ${name}`);
      const meter = new CpuMeter({});
      const snapshot = processSnapshot();
      let out: ScenarioResult[];
      try {
        const r = await SCENARIOS[name](ctx);
        out = Array.isArray(r) ? r : [r];
      } catch (err) {
        log(`${name} failed: ${err instanceof Error ? err.stack : String(err)}`);
        out = [{ name, title: name, method: [], figures: [], details: {}, notes: [], error: err instanceof Error ? err.message : String(err) }];
      }
      // Who else used the cores meanwhile: the box is shared, and that is part of every figure.
      const { machineBusy, cpuPressure } = meter.read();
      const contention = { machineBusy, cpuPressure, topProcesses: topCpuBetween(snapshot, processSnapshot()) };
      for (const r of out) {
        r.durationS = Math.round((performance.now() - s0) / 1000);
        r.contention = contention;
        results.push(r);
      }
      for (const a of [...apps]) await a.kill().catch(() => undefined);
    }
  } finally {
    await cleanup();
  }

  const after = await machineInfo();
  const rows = tableRows(results);
  process.stdout.write(`\n${textTable(rows)}\n\n`);
  const profiles = profileDir ? summariseProfiles(profileDir) : undefined;
  const totalS = Math.round((performance.now() - t0) / 1000);
  const command = `npm run bench${args.quick || args.profile || process.argv.includes('--only') || process.argv.some((a) => a.startsWith('--only')) ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const record = { runId, startedAt: started.toISOString(), totalS, quick: args.quick, profiled: args.profile, command, machine: { before, after }, results, profiles };
  if (args.write) {
    writeFileSync(join(ROOT, 'bench/results.json'), `${JSON.stringify(record, null, 2)}\n`);
    writeResultsMarkdown(join(ROOT, 'bench/RESULTS.md'), record, markdownTable(rows));
    log(`wrote bench/results.json and bench/RESULTS.md (${totalS} s)`);
  }
  if (profiles) log(`profiles: ${profileDir}`);
  process.exit(results.some((r) => r.error) ? 1 : 0);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
