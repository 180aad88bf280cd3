import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { Logger } from '@nestjs/common';
import type { ModelServerConfig } from '@gantry/config';

/**
 * - `starting`: spawned, `health_path` not 200 yet (no job is sent to it).
 * - `running`: healthy.
 * - `stopping`: SIGTERM sent, waiting for it to exit.
 * - `stopped`: not running, on purpose (the pool is stopped, or the worker is closing).
 * - `crashed`: exited unexpectedly (or never got healthy); restarting after a backoff.
 * - `idle_stopped`: stopped by auto_switch to free the GPU; starts again when requests wait.
 */
export type ServerStatus = 'starting' | 'running' | 'stopping' | 'stopped' | 'crashed' | 'idle_stopped';

export interface ServerExit {
  code: number | null;
  signal: string | null;
  at: string;
}

export interface ServerReport {
  status: ServerStatus;
  pid: number | null;
  /** Restarts after a crash since the worker started. */
  restarts: number;
  last_exit: ServerExit | null;
  log_file: string;
  /** The argv it runs (or last ran). */
  args: string[];
}

/** Delay before the `consecutive`-th restart in a row: doubles from `initial_ms`, capped at `max_ms`. */
export function restartDelayMs(consecutive: number, backoff: { initial_ms: number; max_ms: number }): number {
  return Math.min(backoff.max_ms, backoff.initial_ms * 2 ** Math.max(0, consecutive - 1));
}

const HEALTH_POLL_MS = 200;
const HEALTH_CALL_TIMEOUT_MS = 2_000;

/**
 * Runs one model server process (`vllm serve …`, or the simulator) for a worker: spawned without a
 * shell in a process group of its own, its output appended to its log file, reported `running`
 * only once `GET <url><health_path>` answers 200, restarted with backoff when it dies, and stopped
 * with SIGTERM then SIGKILL (the whole group, so no child of it is left behind).
 */
export class ModelServerSupervisor {
  private readonly log = new Logger(ModelServerSupervisor.name);
  private state: ServerStatus = 'stopped';
  private child?: ChildProcess;
  private loop?: Promise<void>;
  private wanted = false;
  private closed = false;
  private argv: string[] = [];
  private restarts = 0;
  private lastExit: ServerExit | null = null;
  private wake?: () => void;
  private readonly listeners = new Set<(status: ServerStatus) => void>();

  constructor(
    private readonly pool: string,
    private readonly config: ModelServerConfig,
    /** Base URL the worker calls; the health check goes there too. */
    private readonly url: string,
  ) {}

  get status(): ServerStatus {
    return this.state;
  }

  /** The argv of the wanted (or last) server. */
  get args(): readonly string[] {
    return this.argv;
  }

  /** A server is wanted (starting, running, or restarting after a crash). */
  get active(): boolean {
    return this.wanted;
  }

  onStatus(listener: (status: ServerStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  report(): ServerReport {
    return { status: this.state, pid: this.child?.pid ?? null, restarts: this.restarts, last_exit: this.lastExit, log_file: this.config.log_file, args: [...this.argv] };
  }

  /** Marks a server that is not wanted as stopped for this reason (e.g. idle) without touching a process. */
  markDown(status: 'stopped' | 'idle_stopped'): void {
    if (!this.wanted && this.state !== status) this.set(status);
  }

  /** Wants a server running `argv`; returns at once (watch `onStatus` for `running`). */
  start(argv: string[]): void {
    if (this.closed || this.wanted) return;
    this.wanted = true;
    this.argv = argv;
    this.loop = this.run(argv).catch((err: unknown) => {
      this.wanted = false;
      this.log.error({ msg: 'model server supervision failed', pool: this.pool, err: String(err) });
      this.set('crashed');
    });
  }

  /** Stops the server (SIGTERM, SIGKILL after stop_timeout_seconds) and waits until it exited. */
  async stop(final: 'stopped' | 'idle_stopped' = 'stopped'): Promise<void> {
    this.wanted = false;
    this.wake?.();
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      this.set('stopping');
      this.signal(child, 'SIGTERM');
      const kill = setTimeout(() => {
        this.log.warn({ msg: 'model server did not stop in time; killing it', pool: this.pool, pid: child.pid });
        this.signal(child, 'SIGKILL');
      }, this.config.stop_timeout_seconds * 1000);
      try {
        await this.loop;
      } finally {
        clearTimeout(kill);
      }
    } else {
      await this.loop;
    }
    this.set(final);
  }

  /** Stops for good (worker shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    await this.stop();
    this.listeners.clear();
  }

  private set(status: ServerStatus): void {
    if (this.state === status) return;
    this.state = status;
    for (const l of this.listeners) l(status);
  }

  private signal(child: ChildProcess, sig: NodeJS.Signals): void {
    if (child.pid === undefined) return;
    try {
      // The negative pid is the process group: vLLM's engine workers go with it.
      process.kill(-child.pid, sig);
    } catch {
      child.kill(sig);
    }
  }

  /** Spawn, health-gate, wait for the exit; again with backoff while the server is wanted. */
  private async run(argv: string[]): Promise<void> {
    let consecutive = 0;
    while (this.wanted) {
      const { child, exited } = this.spawn(argv);
      const since = Date.now();
      const healthy = await this.healthGate(exited);
      if (healthy) {
        this.log.log({ msg: 'model server healthy', pool: this.pool, pid: child.pid, after_ms: Date.now() - since });
        this.set('running');
      } else if (this.wanted && child.exitCode === null && child.signalCode === null) {
        this.log.warn({ msg: 'model server not healthy in time; killing it', pool: this.pool, pid: child.pid, start_timeout_seconds: this.config.start_timeout_seconds });
        this.signal(child, 'SIGKILL');
      }
      const exit = await exited;
      this.child = undefined;
      this.lastExit = exit;
      if (!this.wanted) {
        this.log.log({ msg: 'model server stopped', pool: this.pool, pid: child.pid, code: exit.code, signal: exit.signal });
        return;
      }
      // A server that ran long enough before dying starts a fresh backoff sequence.
      if (healthy && Date.now() - since >= this.config.restart_backoff.reset_after_ms) consecutive = 0;
      consecutive++;
      this.restarts++;
      const delay = restartDelayMs(consecutive, this.config.restart_backoff);
      this.log.warn({ msg: 'model server exited unexpectedly; restarting', pool: this.pool, pid: child.pid, code: exit.code, signal: exit.signal, restart_in_ms: delay, log_file: this.config.log_file });
      this.set('crashed');
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, delay);
        this.wake = done;
        function done() {
          clearTimeout(t);
          resolve();
        }
      });
      this.wake = undefined;
    }
  }

  private spawn(argv: string[]): { child: ChildProcess; exited: Promise<ServerExit> } {
    mkdirSync(dirname(this.config.log_file), { recursive: true });
    const fd = openSync(this.config.log_file, 'a');
    writeSync(fd, `\n=== ${new Date().toISOString()} gantry starts: ${argv.map((a) => JSON.stringify(a)).join(' ')}\n`);
    let child: ChildProcess;
    try {
      child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ['ignore', fd, fd] });
    } finally {
      // The child holds its own copy of the descriptor.
      closeSync(fd);
    }
    this.child = child;
    this.set('starting');
    this.log.log({ msg: 'model server started', pool: this.pool, pid: child.pid, log_file: this.config.log_file });
    const exited = new Promise<ServerExit>((resolve) => {
      // `error` without `exit` when the command cannot be run at all (ENOENT).
      child.once('error', (err) => {
        if (child.pid === undefined) resolve({ code: null, signal: null, at: new Date().toISOString() });
        this.log.error({ msg: 'model server command failed', pool: this.pool, err: err.message });
      });
      child.once('exit', (code, signal) => resolve({ code, signal, at: new Date().toISOString() }));
    });
    return { child, exited };
  }

  /** True once health answers 200; false when the process exits, the start times out, or a stop comes. */
  private async healthGate(exited: Promise<ServerExit>): Promise<boolean> {
    let gone = false;
    void exited.then(() => (gone = true));
    const deadline = Date.now() + this.config.start_timeout_seconds * 1000;
    const target = new URL(this.config.health_path, this.url).toString();
    while (this.wanted && !gone && Date.now() < deadline) {
      try {
        const res = await fetch(target, { signal: AbortSignal.timeout(HEALTH_CALL_TIMEOUT_MS) });
        await res.body?.cancel();
        if (res.status === 200 && this.wanted && !gone) return true;
      } catch {
        // Not listening yet.
      }
      await new Promise((r) => setTimeout(r, HEALTH_POLL_MS));
    }
    return false;
  }
}
