// Command-line / environment parsing for the simulator's entry point (kept apart from
// main.ts so it can be tested without starting a process).

import type { FailMode, SimOptions } from './simulator';

interface FlagSpec {
  key: keyof SimOptions;
  env: string;
  kind: 'int' | 'number' | 'string' | 'failMode' | 'limit';
}

const FLAGS: Record<string, FlagSpec> = {
  '--host': { key: 'host', env: 'SIM_HOST', kind: 'string' },
  '--port': { key: 'port', env: 'SIM_PORT', kind: 'int' },
  '--ttft-ms': { key: 'ttftMs', env: 'SIM_TTFT_MS', kind: 'number' },
  '--itl-ms': { key: 'itlMs', env: 'SIM_ITL_MS', kind: 'number' },
  '--max-num-seqs': { key: 'maxNumSeqs', env: 'SIM_MAX_NUM_SEQS', kind: 'int' },
  '--max-waiting': { key: 'maxWaiting', env: 'SIM_MAX_WAITING', kind: 'limit' },
  '--seed': { key: 'seed', env: 'SIM_SEED', kind: 'int' },
  '--default-completion-tokens': { key: 'defaultCompletionTokens', env: 'SIM_DEFAULT_COMPLETION_TOKENS', kind: 'int' },
  '--fail-rate': { key: 'failRate', env: 'SIM_FAIL_RATE', kind: 'number' },
  '--fail-mode': { key: 'failMode', env: 'SIM_FAIL_MODE', kind: 'failMode' },
  '--max-model-len': { key: 'maxModelLen', env: 'SIM_MAX_MODEL_LEN', kind: 'int' },
  '--vision-token-ms': { key: 'visionTokenMs', env: 'SIM_VISION_TOKEN_MS', kind: 'number' },
  '--startup-delay-ms': { key: 'startupDelayMs', env: 'SIM_STARTUP_DELAY_MS', kind: 'number' },
  '--mm-processor-kwargs': { key: 'mmProcessorKwargs', env: 'SIM_MM_PROCESSOR_KWARGS', kind: 'string' },
};
const MODEL_FLAGS = new Set(['--model', '--served-model-name']);
const MODELS_ENV = 'SIM_MODELS'; // comma-separated

export const USAGE = `Usage: node dist/apps/vllm-sim/src/main.js [options]

  --host <addr>                     listen address (default 127.0.0.1)            env SIM_HOST
  --port <n>                        listen port, 0 = ephemeral (default 8000)      env SIM_PORT
  --model <id>                      served model id, repeatable                    env SIM_MODELS (comma-separated)
                                    (default gemma-3-4b-it, google/gemma-3-4b-it, deepseek-ai/DeepSeek-OCR)
  --ttft-ms <ms>                    time to first token (default 0)                env SIM_TTFT_MS
  --itl-ms <ms>                     inter-token latency (default 0)                env SIM_ITL_MS
  --max-num-seqs <n>                concurrently running sequences (default 256)   env SIM_MAX_NUM_SEQS
  --max-waiting <n|inf>             waiting-queue limit, then 503 (default inf)    env SIM_MAX_WAITING
  --seed <n>                        output seed (default 0)                        env SIM_SEED
  --default-completion-tokens <n>   tokens when max_tokens is absent (default 16)  env SIM_DEFAULT_COMPLETION_TOKENS
  --fail-rate <0..1>                injected failure probability (default 0)       env SIM_FAIL_RATE
  --fail-mode <mode>                rate_limit | server_error | hang               env SIM_FAIL_MODE
  --max-model-len <n>               context window (default 8192)                  env SIM_MAX_MODEL_LEN
  --vision-token-ms <ms>            OCR prefill per vision token (default 0)       env SIM_VISION_TOKEN_MS
  --startup-delay-ms <ms>           /health and chat answer 503 this long after    env SIM_STARTUP_DELAY_MS
                                    listening, like vLLM loading weights (default 0)
  --mm-processor-kwargs <json>      vLLM's image-size settings; only reported      env SIM_MM_PROCESSOR_KWARGS
  -h, --help                        show this help
`;

function convert(flag: string, spec: FlagSpec, raw: string): unknown {
  const bad = (what: string) => new Error(`${flag}: expected ${what}, got '${raw}'`);
  switch (spec.kind) {
    case 'string':
      if (raw === '') throw bad('a non-empty value');
      return raw;
    case 'int': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isInteger(n)) throw bad('an integer');
      return n;
    }
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw bad('a number');
      return n;
    }
    case 'limit': {
      if (/^(inf|infinity|unlimited)$/i.test(raw)) return Infinity;
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isInteger(n)) throw bad("an integer or 'inf'");
      return n;
    }
    case 'failMode':
      if (raw !== 'rate_limit' && raw !== 'server_error' && raw !== 'hang') throw bad('rate_limit, server_error or hang');
      return raw as FailMode;
  }
}

export interface ParsedArgs {
  options: SimOptions;
  help: boolean;
}

/** Parses `--flag value` / `--flag=value` arguments, falling back to SIM_* variables. Throws on bad input. */
export function parseSimArgs(argv: readonly string[], env: Record<string, string | undefined> = {}): ParsedArgs {
  const options: Record<string, unknown> = {};
  const models: string[] = [];
  let help = false;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const isModel = MODEL_FLAGS.has(flag);
    const spec = FLAGS[flag];
    if (!isModel && spec === undefined) throw new Error(`unknown argument '${arg}'`);
    let raw: string;
    if (flag !== arg) raw = arg.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw new Error(`${flag}: missing value`);
      raw = argv[++i];
    }
    if (isModel) {
      if (raw === '') throw new Error(`${flag}: expected a model id`);
      models.push(raw);
    } else {
      options[spec.key] = convert(flag, spec, raw);
    }
  }

  for (const spec of Object.values(FLAGS)) {
    const raw = env[spec.env];
    if (options[spec.key] === undefined && raw !== undefined && raw !== '') {
      options[spec.key] = convert(spec.env, spec, raw);
    }
  }
  if (models.length === 0 && env[MODELS_ENV]) {
    for (const m of env[MODELS_ENV].split(',')) if (m.trim() !== '') models.push(m.trim());
  }
  if (models.length > 0) options.models = models;
  return { options: options as SimOptions, help };
}
