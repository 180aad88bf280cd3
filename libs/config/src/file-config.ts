import { readFileSync } from 'node:fs';
import { parse, YAMLParseError } from 'yaml';
import { ConfigError } from './config-error';

/**
 * `config/config.yaml`: the reference's operator file (queue, auto_switch, models) plus how each
 * pool's model server is run. Read once per path at boot; a missing file means built-in defaults,
 * a malformed file or an unknown or bad key refuses to start with a message naming the key.
 * Environment variables that exist for the same setting win over the file.
 */

export const SERVER_DRIVERS = ['external', 'process'] as const;
export type ServerDriver = (typeof SERVER_DRIVERS)[number];
const RESOLUTIONS = ['tiny', 'small', 'base', 'large', 'gundam'] as const;
type Resolution = (typeof RESOLUTIONS)[number];

/** How one pool's model server runs. `external`: someone else runs it. `process`: the worker does. */
export interface ModelServerConfig {
  driver: ServerDriver;
  /** argv of the server (no shell); `{host}`, `{port}` (from the pool's backend URL) and `{resolution}` are replaced. */
  command: string[];
  /** Polled until it answers 200 before the worker sends the server any job. */
  health_path: string;
  /** A server not healthy by then is killed and started again (with backoff). */
  start_timeout_seconds: number;
  /** SIGTERM, then SIGKILL after this long. */
  stop_timeout_seconds: number;
  /** Delay before restarting a crashed server: doubles from `initial_ms` to `max_ms`; reset once it ran `reset_after_ms`. */
  restart_backoff: { initial_ms: number; max_ms: number; reset_after_ms: number };
  /** The server's stdout and stderr (appended); relative paths are from the working directory. */
  log_file: string;
}

export interface GantryFileConfig {
  /** The file read, or null when there was none (built-in defaults). */
  source: string | null;
  queue: {
    /** Admission backlog limit: one number for every pool, or per pool (ADMISSION_MAX_BACKLOG). */
    max_waiting?: number | Record<string, number>;
    /** Limit of one backend call, seconds (WORKER_REQUEST_TIMEOUT_MS). */
    timeout?: number;
  };
  auto_switch: {
    enabled: boolean;
    /** A `process` pool with no job for this long stops its server (fractions allowed). */
    pattern_window_days: number;
    /** An idle-stopped server starts again once this many requests wait for it... */
    min_requests_for_switch: number;
    /** ...or once the oldest waiting request has waited this long, so a trickle is never stranded. */
    max_wait_seconds: number;
  };
  models: {
    gemma: ModelServerConfig;
    deepseek: ModelServerConfig & {
      /** Default OCR resolution (OCR_DEFAULT_RESOLUTION). */
      resolution_mode?: Resolution;
      /** Extra server arguments per resolution mode (vLLM fixes image sizes at start). */
      resolution_args: Partial<Record<Resolution, string[]>>;
    };
  };
}

function serverDefaults(pool: string): ModelServerConfig {
  return {
    driver: 'external',
    command: [],
    health_path: '/health',
    // Loading weights and compiling CUDA graphs takes minutes on a GPU box.
    start_timeout_seconds: 900,
    stop_timeout_seconds: 30,
    restart_backoff: { initial_ms: 1_000, max_ms: 60_000, reset_after_ms: 300_000 },
    log_file: `logs/${pool}-server.log`,
  };
}

export function defaultFileConfig(): GantryFileConfig {
  return {
    source: null,
    queue: {},
    auto_switch: { enabled: false, pattern_window_days: 7, min_requests_for_switch: 10, max_wait_seconds: 300 },
    models: { gemma: serverDefaults('gemma'), deepseek: { ...serverDefaults('deepseek'), resolution_args: {} } },
  };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Collects every problem with its key path, so one error names them all. */
class Checker {
  readonly problems: string[] = [];

  object(v: unknown, path: string, known: readonly string[]): Obj | undefined {
    if (v === undefined || v === null) return undefined;
    if (!isObj(v)) return void this.problems.push(`${path}: must be a mapping`);
    for (const k of Object.keys(v)) if (!known.includes(k)) this.problems.push(`${path ? `${path}.` : ''}${k}: unknown key`);
    return v;
  }

  number(v: unknown, path: string, opts: { min: number; max?: number; int?: boolean; exclusiveMin?: boolean }): number | undefined {
    if (v === undefined) return undefined;
    const bad = typeof v !== 'number' || !Number.isFinite(v) || (opts.int && !Number.isInteger(v)) || (opts.exclusiveMin ? v <= opts.min : v < opts.min) || (opts.max !== undefined && v > opts.max);
    if (bad) {
      const range = `${opts.exclusiveMin ? '>' : '>='} ${opts.min}${opts.max !== undefined ? ` and <= ${opts.max}` : ''}`;
      return void this.problems.push(`${path}: must be ${opts.int ? 'an integer' : 'a number'} ${range}, got ${JSON.stringify(v)}`);
    }
    return v as number;
  }

  oneOf<T extends string>(v: unknown, path: string, values: readonly T[]): T | undefined {
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !values.includes(v as T)) return void this.problems.push(`${path}: must be one of ${values.join(', ')}, got ${JSON.stringify(v)}`);
    return v as T;
  }

  boolean(v: unknown, path: string): boolean | undefined {
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') return void this.problems.push(`${path}: must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  string(v: unknown, path: string, pattern?: RegExp, what = 'a non-empty string'): string | undefined {
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '' || (pattern && !pattern.test(v))) return void this.problems.push(`${path}: must be ${what}, got ${JSON.stringify(v)}`);
    return v;
  }

  argv(v: unknown, path: string): string[] | undefined {
    if (v === undefined) return undefined;
    // Numbers are accepted (`--port, 8000` reads naturally in YAML) and passed as their text.
    if (!Array.isArray(v) || v.some((a) => (typeof a !== 'string' && typeof a !== 'number') || a === '')) {
      return void this.problems.push(`${path}: must be a list of arguments (strings), got ${JSON.stringify(v)}`);
    }
    return v.map(String);
  }
}

const SERVER_KEYS = ['driver', 'command', 'health_path', 'start_timeout_seconds', 'stop_timeout_seconds', 'restart_backoff', 'log_file'] as const;

function checkServer(c: Checker, raw: Obj | undefined, path: string, into: ModelServerConfig): void {
  if (!raw) return;
  into.driver = c.oneOf(raw.driver, `${path}.driver`, SERVER_DRIVERS) ?? into.driver;
  into.command = c.argv(raw.command, `${path}.command`) ?? into.command;
  into.health_path = c.string(raw.health_path, `${path}.health_path`, /^\/\S*$/, 'a path starting with /') ?? into.health_path;
  into.start_timeout_seconds = c.number(raw.start_timeout_seconds, `${path}.start_timeout_seconds`, { min: 0, exclusiveMin: true }) ?? into.start_timeout_seconds;
  into.stop_timeout_seconds = c.number(raw.stop_timeout_seconds, `${path}.stop_timeout_seconds`, { min: 0, exclusiveMin: true }) ?? into.stop_timeout_seconds;
  const backoff = c.object(raw.restart_backoff, `${path}.restart_backoff`, ['initial_ms', 'max_ms', 'reset_after_ms']);
  if (backoff) {
    const b = into.restart_backoff;
    b.initial_ms = c.number(backoff.initial_ms, `${path}.restart_backoff.initial_ms`, { min: 1, int: true }) ?? b.initial_ms;
    b.max_ms = c.number(backoff.max_ms, `${path}.restart_backoff.max_ms`, { min: 1, int: true }) ?? b.max_ms;
    b.reset_after_ms = c.number(backoff.reset_after_ms, `${path}.restart_backoff.reset_after_ms`, { min: 0, int: true }) ?? b.reset_after_ms;
    if (b.max_ms < b.initial_ms) c.problems.push(`${path}.restart_backoff.max_ms: must be >= initial_ms (${b.initial_ms})`);
  }
  into.log_file = c.string(raw.log_file, `${path}.log_file`) ?? into.log_file;
  if (into.driver === 'process' && into.command.length === 0) c.problems.push(`${path}.command: required when driver is process`);
}

/** Validates a parsed YAML document; throws ConfigError naming every bad key. */
export function parseFileConfig(doc: unknown, source: string | null): GantryFileConfig {
  const out = defaultFileConfig();
  out.source = source;
  const c = new Checker();
  if (doc === null || doc === undefined) return out; // an empty file
  const root = c.object(doc, '', ['queue', 'auto_switch', 'models']);
  if (!root) throw new ConfigError([`${source ?? 'config'}: must be a YAML mapping at the top`]);

  const queue = c.object(root.queue, 'queue', ['max_waiting', 'timeout']);
  if (queue) {
    if (isObj(queue.max_waiting)) {
      const limits = c.object(queue.max_waiting, 'queue.max_waiting', ['gemma', 'deepseek-ocr', 'deepseek']);
      const out2: Record<string, number> = {};
      for (const [k, v] of Object.entries(limits ?? {})) {
        const n = c.number(v, `queue.max_waiting.${k}`, { min: 0, int: true });
        if (n !== undefined) out2[k === 'deepseek' ? 'deepseek-ocr' : k] = n;
      }
      out.queue.max_waiting = out2;
    } else {
      out.queue.max_waiting = c.number(queue.max_waiting, 'queue.max_waiting', { min: 0, int: true });
    }
    out.queue.timeout = c.number(queue.timeout, 'queue.timeout', { min: 0.1 });
  }

  const auto = c.object(root.auto_switch, 'auto_switch', ['enabled', 'pattern_window_days', 'min_requests_for_switch', 'max_wait_seconds']);
  if (auto) {
    const a = out.auto_switch;
    a.enabled = c.boolean(auto.enabled, 'auto_switch.enabled') ?? a.enabled;
    a.pattern_window_days = c.number(auto.pattern_window_days, 'auto_switch.pattern_window_days', { min: 0, exclusiveMin: true }) ?? a.pattern_window_days;
    a.min_requests_for_switch = c.number(auto.min_requests_for_switch, 'auto_switch.min_requests_for_switch', { min: 1, int: true }) ?? a.min_requests_for_switch;
    a.max_wait_seconds = c.number(auto.max_wait_seconds, 'auto_switch.max_wait_seconds', { min: 0, exclusiveMin: true }) ?? a.max_wait_seconds;
  }

  const models = c.object(root.models, 'models', ['gemma', 'deepseek']);
  if (models) {
    checkServer(c, c.object(models.gemma, 'models.gemma', SERVER_KEYS), 'models.gemma', out.models.gemma);
    const ds = c.object(models.deepseek, 'models.deepseek', [...SERVER_KEYS, 'resolution_mode', 'resolution_args']);
    checkServer(c, ds, 'models.deepseek', out.models.deepseek);
    if (ds) {
      out.models.deepseek.resolution_mode = c.oneOf(ds.resolution_mode, 'models.deepseek.resolution_mode', RESOLUTIONS);
      const args = c.object(ds.resolution_args, 'models.deepseek.resolution_args', RESOLUTIONS);
      for (const [k, v] of Object.entries(args ?? {})) {
        const list = c.argv(v, `models.deepseek.resolution_args.${k}`);
        if (list) out.models.deepseek.resolution_args[k as Resolution] = list;
      }
    }
  }
  if (c.problems.length) throw new ConfigError(c.problems.map((p) => `${source ?? 'config'}: ${p}`));
  return out;
}

const cache = new Map<string, GantryFileConfig>();

/** Reads and validates the file at `path` (once per path and process). */
export function loadFileConfig(path: string): GantryFileConfig {
  const hit = cache.get(path);
  if (hit) return hit;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConfigError([`${path}: cannot be read: ${(err as Error).message}`]);
    const config = defaultFileConfig();
    cache.set(path, config);
    return config;
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? ` (line ${err.linePos[0].line}, column ${err.linePos[0].col})` : '';
    throw new ConfigError([`${path}: not valid YAML${where}: ${(err as Error).message.split('\n')[0]}`]);
  }
  const config = parseFileConfig(doc, path);
  cache.set(path, config);
  return config;
}

/** The env variables the file sets (the environment still wins over them). */
export function envFromFileConfig(config: GantryFileConfig): Record<string, string> {
  const out: Record<string, string> = {};
  const { max_waiting, timeout } = config.queue;
  if (typeof max_waiting === 'number') out.ADMISSION_MAX_BACKLOG = `gemma=${max_waiting},deepseek-ocr=${max_waiting}`;
  else if (max_waiting && Object.keys(max_waiting).length) {
    out.ADMISSION_MAX_BACKLOG = Object.entries(max_waiting)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
  }
  if (timeout !== undefined) out.WORKER_REQUEST_TIMEOUT_MS = String(Math.round(timeout * 1000));
  if (config.models.deepseek.resolution_mode) out.OCR_DEFAULT_RESOLUTION = config.models.deepseek.resolution_mode;
  return out;
}
