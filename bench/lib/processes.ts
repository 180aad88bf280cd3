import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { SimOptions, SimStats } from '../../apps/vllm-sim/src/simulator';
import { memoryMiB } from './proc';
import type { ClosedLoopResult, ClosedLoopSpec, OpenLoopResult, OpenLoopSpec } from './loadgen';

export const ROOT = resolve(__dirname, '../..');
export const OUT = join(ROOT, 'bench/out');
/** A snapshot of dist/ taken at the start of a run, so a concurrent `nest build` cannot pull it away. */
export const APP_DIR = join(OUT, 'app');
const REGISTER = join(ROOT, 'bench/register.js');

/** A forked TypeScript child answering `{id, ...}` requests over IPC. */
class IpcChild {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly proc: ChildProcess;

  constructor(file: string, name: string) {
    mkdirSync(join(OUT, 'logs'), { recursive: true });
    this.proc = fork(join(ROOT, file), [], { execArgv: ['-r', REGISTER], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    const log = createWriteStream(join(OUT, 'logs', `${name}.log`), { flags: 'a' });
    this.proc.stdout!.pipe(log);
    this.proc.stderr!.pipe(log);
    this.proc.on('message', (msg: { id: number; result?: unknown; error?: string }) => {
      const w = this.waiting.get(msg.id);
      if (!w) return;
      this.waiting.delete(msg.id);
      if (msg.error !== undefined) w.reject(new Error(`${name}: ${msg.error}`));
      else w.resolve(msg.result);
    });
    this.proc.on('exit', (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`${name} exited (${code})`));
      this.waiting.clear();
    });
  }

  call<T>(msg: Record<string, unknown>): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.proc.send({ id, ...msg });
    });
  }

  get pid(): number {
    return this.proc.pid!;
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.proc.disconnect();
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

export type SimStatsLite = Omit<SimStats, 'requests'>;

/** The vLLM simulator in its own process. */
export class SimProcess {
  private constructor(
    private readonly child: IpcChild,
    readonly url: string,
    readonly port: number,
  ) {}

  static async start(options: SimOptions, name = 'sim'): Promise<SimProcess> {
    const child = new IpcChild('bench/lib/sim-child.ts', name);
    const { url, port } = await child.call<{ url: string; port: number }>({ op: 'start', options });
    return new SimProcess(child, url, port);
  }

  get pid(): number {
    return this.child.pid;
  }

  stats(): Promise<SimStatsLite> {
    return this.child.call({ op: 'stats' });
  }

  reset(): Promise<void> {
    return this.child.call({ op: 'reset' });
  }

  configure(options: Partial<SimOptions>): Promise<void> {
    return this.child.call({ op: 'configure', options });
  }

  stop(): Promise<void> {
    return this.child.stop();
  }
}

/** A load generator in its own process. */
export class LoadGenerator {
  private readonly child = new IpcChild('bench/lib/loadgen-child.ts', 'loadgen');

  open(spec: Omit<OpenLoopSpec, 'kind'>): Promise<OpenLoopResult> {
    return this.child.call({ spec: { kind: 'open', ...spec } });
  }

  closed(spec: Omit<ClosedLoopSpec, 'kind'>): Promise<ClosedLoopResult> {
    return this.child.call({ spec: { kind: 'closed', ...spec } });
  }

  stop(): Promise<void> {
    return this.child.stop();
  }
}

export type AppName = 'gateway' | 'worker' | 'recorder';

/** The start-up line each app logs once it is serving (the gateway's with its URL). */
const READY: Record<AppName, RegExp> = {
  gateway: /"msg":"gateway (listening|started)".*"url":"/,
  worker: /"msg":"worker (started|listening)"/,
  recorder: /"msg":"recorder (started|listening)"/,
};

export interface AppOptions {
  /** Write a V8 CPU profile (.cpuprofile) to this directory when the process exits. */
  cpuProfDir?: string;
  /** Label for the log file; default the app name. */
  label?: string;
}

/** One of Gantry's apps, run from the built snapshot as its own process (as in production). */
export class AppProcess {
  url = '';
  private exited = false;

  private constructor(
    readonly name: AppName,
    readonly proc: ChildProcess,
  ) {
    proc.once('exit', () => (this.exited = true));
  }

  static async start(name: AppName, env: Record<string, string>, opts: AppOptions = {}): Promise<AppProcess> {
    const main = join(APP_DIR, 'apps', name, 'src/main.js');
    if (!existsSync(main)) throw new Error(`${main} is missing: the runner snapshots dist/ first (npm run bench builds it)`);
    const args = opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`, `--cpu-prof-name=${opts.label ?? name}.cpuprofile`] : [];
    mkdirSync(join(OUT, 'logs'), { recursive: true });
    const proc = spawn(process.execPath, [...args, main], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const app = new AppProcess(name, proc);
    const log = createWriteStream(join(OUT, 'logs', `${opts.label ?? name}.log`), { flags: 'a' });
    proc.stderr!.pipe(log);
    await new Promise<void>((resolveReady, reject) => {
      let buffered = '';
      let ready = false;
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error(`${name} did not start within 60 s (see bench/out/logs)`));
      }, 60_000);
      proc.stdout!.on('data', (chunk: Buffer) => {
        log.write(chunk);
        if (ready) return;
        buffered += chunk.toString('utf8');
        const line = buffered.split('\n').find((l) => READY[name].test(l));
        if (!line) return;
        ready = true;
        buffered = '';
        app.url = (/"url":"([^"]+)"/.exec(line)?.[1] ?? '').replace('0.0.0.0', '127.0.0.1');
        clearTimeout(timer);
        resolveReady();
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        if (!ready) reject(new Error(`${name} exited with ${code} before it was ready (see bench/out/logs)`));
      });
    });
    return app;
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** Resident set size now and its peak so far, in MiB (from /proc/<pid>/status). */
  memory(): { rss: number; hwm: number } | null {
    return this.exited ? null : memoryMiB(this.pid);
  }

  /** Graceful stop (SIGTERM: the app drains and exits, writing its CPU profile), then SIGKILL. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** Immediate stop (no drain): for processes holding jobs that will never finish. */
  async kill(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.proc.kill('SIGKILL');
    await exited;
  }
}
