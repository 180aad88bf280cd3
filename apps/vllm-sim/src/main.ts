// Entry point: `node dist/apps/vllm-sim/src/main.js --port 8000 --ttft-ms 50 ...`
// (see cli.ts for flags and SIM_* environment fallbacks).

import { USAGE, parseSimArgs } from './cli';
import { DEFAULT_MODELS, type Simulator, startSimulator } from './simulator';

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseSimArgs(process.argv.slice(2), process.env);
  } catch (e) {
    process.stderr.write(`vllm-sim: ${(e as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (parsed.help) {
    process.stdout.write(USAGE);
    return;
  }

  const o = parsed.options;
  let sim: Simulator;
  try {
    sim = await startSimulator(o);
  } catch (e) {
    process.stderr.write(`vllm-sim: failed to start: ${(e as Error).message}\n`);
    process.exit(1);
  }

  const models = (o.models ?? DEFAULT_MODELS).join(',');
  process.stdout.write(
    `vllm-sim listening on ${sim.url} models=${models} ttft_ms=${o.ttftMs ?? 0} itl_ms=${o.itlMs ?? 0} ` +
      `max_num_seqs=${o.maxNumSeqs ?? 256} max_waiting=${o.maxWaiting ?? Infinity} seed=${o.seed ?? 0} ` +
      `fail_rate=${o.failRate ?? 0} fail_mode=${o.failMode ?? 'server_error'} startup_delay_ms=${o.startupDelayMs ?? 0} ` +
      `mm_processor_kwargs=${o.mmProcessorKwargs ?? ''} pid=${process.pid}\n`,
  );

  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) {
      process.stderr.write(`vllm-sim: ${signal} again, exiting now\n`);
      process.exit(1);
    }
    closing = true;
    sim.close().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`vllm-sim: error while closing: ${(e as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

void main();
