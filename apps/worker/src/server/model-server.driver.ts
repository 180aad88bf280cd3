import { Logger } from '@nestjs/common';
import type { GantryFileConfig, ModelServerConfig, ServerDriver } from '@gantry/config';
import { PRIORITIES, Topics, type OcrResolution, type PoolName } from '@gantry/contracts';
import type { GantryKafkaServer, KafkaInspector, PoolControlReader } from '@gantry/kafka';
import { ModelServerSupervisor, type ServerReport, type ServerStatus } from './model-server.supervisor';

/** Abort reason of jobs running when their model server died: they go back to the queue and run again. */
export const SERVER_DOWN = 'server-down';
/** The transport's dispatch hold owned by this driver (the control topic owns `pool`). */
const HOLD = 'server';

export interface ModelServerView {
  driver: ServerDriver;
  /** null with the external driver: someone else runs the server. */
  server: ServerReport | null;
}

export interface ModelServerDriver {
  view(): ModelServerView;
  close(): Promise<void>;
}

/** `external`: start/stop only pause and resume consumption (the control-topic follower does that). */
export const externalDriver: ModelServerDriver = { view: () => ({ driver: 'external', server: null }), close: async () => undefined };

/** The server's argv: the command with `{host}`, `{port}`, `{resolution}` replaced, plus the resolution's own args. */
export function serverArgv(config: ModelServerConfig & { resolution_args?: Partial<Record<OcrResolution, string[]>> }, url: string, resolution: OcrResolution | null): string[] {
  const u = new URL(url);
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const extra = resolution ? (config.resolution_args?.[resolution] ?? []) : [];
  return [...config.command, ...extra].map((a) => a.replaceAll('{host}', host).replaceAll('{port}', port).replaceAll('{resolution}', resolution ?? ''));
}

/**
 * auto_switch: whether an idle-stopped server starts again. Enough waiting requests start it; so
 * does any request that has waited `max_wait_seconds`, so a trickle below the threshold is never
 * stranded.
 */
export function shouldWake(waiting: number, oldestWaitMs: number, auto: { min_requests_for_switch: number; max_wait_seconds: number }): boolean {
  return waiting >= auto.min_requests_for_switch || (waiting > 0 && oldestWaitMs >= auto.max_wait_seconds * 1000);
}

export interface ProcessDriverOptions {
  pool: PoolName;
  server: GantryKafkaServer;
  control: PoolControlReader;
  config: GantryFileConfig;
  /** The pool's backend URL: the server listens on its port and is health-checked there. */
  url: string;
  defaultResolution: OcrResolution;
  inspector: KafkaInspector;
  /** How often idle time and waiting requests are looked at; default from the window. */
  tickMs?: number;
}

/**
 * The `process` driver: this worker runs its pool's model server and keeps it in step with the
 * pool. Jobs are dispatched only while the server is healthy and the pool meant to run.
 * - stop (control topic): dispatching stops, in-flight jobs finish (graceful) or are aborted back
 *   to their queue (forced, by the follower), then the server is stopped;
 * - start: the server starts, and jobs flow once its health check answers 200;
 * - a new OCR resolution: drain, restart the server with that mode's arguments, resume;
 * - a crash: running jobs go back to the head of their queue unfinished, the supervisor restarts
 *   the server with backoff, and they run again once it is healthy;
 * - auto_switch: no job for `pattern_window_days` stops the server (the pool stays meant to run);
 *   `min_requests_for_switch` waiting requests, or one waiting `max_wait_seconds`, start it again.
 */
export class ProcessDriver implements ModelServerDriver {
  private readonly log = new Logger(ProcessDriver.name);
  private readonly sup: ModelServerSupervisor;
  private readonly serverConfig: GantryFileConfig['models']['deepseek'] | GantryFileConfig['models']['gemma'];
  private idle = false;
  private lastActivity = Date.now();
  private lastDispatched = 0;
  private dirty = false;
  private reconciling?: Promise<void>;
  private closing = false;
  private readonly stops: Array<() => void> = [];
  private timer?: NodeJS.Timeout;
  private checking = false;

  constructor(private readonly opts: ProcessDriverOptions) {
    this.serverConfig = opts.pool === 'gemma' ? opts.config.models.gemma : opts.config.models.deepseek;
    this.sup = new ModelServerSupervisor(opts.pool, this.serverConfig, opts.url);
    // Nothing is dispatched before the server is healthy.
    opts.server.setDispatching(false, HOLD);
    this.stops.push(this.sup.onStatus((s) => this.onServerStatus(s)));
    this.stops.push(
      opts.control.onChange((state) => {
        if (state.pool !== opts.pool) return;
        // A stopped pool is stopped, not idle: the next start runs the server at once.
        if (state.paused) this.idle = false;
        this.kick();
      }),
    );
    const auto = opts.config.auto_switch;
    if (auto.enabled) {
      const windowMs = auto.pattern_window_days * 86_400_000;
      const tick = opts.tickMs ?? Math.min(30_000, Math.max(200, windowMs / 5));
      this.timer = setInterval(() => void this.autoSwitch(windowMs), tick);
      this.timer.unref();
    }
    this.kick();
  }

  view(): ModelServerView {
    return { driver: 'process', server: this.sup.report() };
  }

  private resolution(): OcrResolution | null {
    if (this.opts.pool !== 'deepseek-ocr') return null;
    return this.opts.control.get(this.opts.pool)?.resolution ?? this.opts.defaultResolution;
  }

  private desired(): { up: boolean; argv: string[]; key: string } {
    const paused = this.opts.control.get(this.opts.pool)?.paused === true;
    const argv = serverArgv(this.serverConfig, this.opts.url, this.resolution());
    return { up: !paused && !this.idle && !this.closing, argv, key: JSON.stringify(argv) };
  }

  private onServerStatus(status: ServerStatus): void {
    if (status === 'running') {
      this.lastActivity = Date.now();
      this.kick();
      return;
    }
    this.opts.server.setDispatching(false, HOLD);
    if (status === 'crashed') {
      // Their requests died with the server: back to the head of their queue, run again after the restart.
      const aborted = this.opts.server.abortWhere(() => true, SERVER_DOWN);
      if (aborted) this.log.warn({ msg: 'model server died; running jobs go back to the queue', pool: this.opts.pool, aborted });
    }
  }

  /** Brings the server in line with the desired state, one change at a time. */
  private kick(): void {
    this.dirty = true;
    if (this.reconciling) return;
    this.reconciling = (async () => {
      while (this.dirty && !this.closing) {
        this.dirty = false;
        await this.reconcile().catch((err: unknown) => this.log.error({ msg: 'model server change failed', pool: this.opts.pool, err: String(err) }));
      }
    })().finally(() => (this.reconciling = undefined));
  }

  private async reconcile(): Promise<void> {
    const want = this.desired();
    const server = this.opts.server;
    if (this.sup.active && (!want.up || JSON.stringify(this.sup.args) !== want.key)) {
      server.setDispatching(false, HOLD);
      // Let running jobs end (a forced stop has aborted them already); a change of mind cancels the stop.
      const settled = await this.drain(want.key, want.up);
      if (!settled) return this.kick();
      const reason = !want.up ? (this.idle ? 'idle' : 'pool stopped') : 'new settings';
      this.log.log({ msg: 'stopping model server', pool: this.opts.pool, reason });
      await this.sup.stop(!want.up && this.idle ? 'idle_stopped' : 'stopped');
    }
    if (!want.up) {
      this.sup.markDown(this.idle ? 'idle_stopped' : 'stopped');
      return;
    }
    if (!this.sup.active) {
      this.log.log({ msg: 'starting model server', pool: this.opts.pool, resolution: this.resolution() ?? undefined });
      this.sup.start(want.argv);
      return;
    }
    if (this.sup.status === 'running') server.setDispatching(true, HOLD);
  }

  /** Waits until nothing runs; false when the desired state changed meanwhile (stop waiting). */
  private async drain(key: string, up: boolean): Promise<boolean> {
    while (this.opts.server.stats().inFlight > 0) {
      const now = this.desired();
      if (this.closing || now.key !== key || now.up !== up) return false;
      await this.opts.server.whenIdle(250);
    }
    return true;
  }

  /** Idle for the window: stop the server. Stopped that way: start it when enough requests wait. */
  private async autoSwitch(windowMs: number): Promise<void> {
    if (this.checking || this.closing) return;
    this.checking = true;
    try {
      const auto = this.opts.config.auto_switch;
      const s = this.opts.server.stats();
      const waitingHere = PRIORITIES.reduce((n, p) => n + s.waiting[p], 0);
      if (s.dispatched !== this.lastDispatched || s.inFlight > 0 || (waitingHere > 0 && !this.idle)) {
        this.lastDispatched = s.dispatched;
        this.lastActivity = Date.now();
      }
      const paused = this.opts.control.get(this.opts.pool)?.paused === true;
      if (!this.idle) {
        if (!paused && this.sup.status === 'running' && Date.now() - this.lastActivity >= windowMs) {
          this.log.log({ msg: 'auto_switch: pool idle for the window; stopping its server', pool: this.opts.pool, idle_ms: Date.now() - this.lastActivity });
          this.idle = true;
          this.kick();
        }
        return;
      }
      // Waiting = the group's backlog (fetched but not dispatched jobs are uncommitted, so they count).
      const lag = await this.opts.inspector.lag(`gantry.worker.${this.opts.pool}`, PRIORITIES.map((p) => Topics.jobs(this.opts.pool, p)));
      const waiting = lag.reduce((n, p) => n + p.lag, 0);
      const oldest = this.opts.server.oldestWaitingAt();
      const waitedMs = oldest === undefined ? 0 : Date.now() - oldest;
      if (shouldWake(waiting, waitedMs, auto)) {
        this.log.log({ msg: 'auto_switch: requests waiting; starting the server', pool: this.opts.pool, waiting, oldest_wait_ms: waitedMs });
        this.idle = false;
        this.lastActivity = Date.now();
        this.kick();
      }
    } catch (err) {
      this.log.warn({ msg: 'auto_switch check failed', pool: this.opts.pool, err: String(err) });
    } finally {
      this.checking = false;
    }
  }

  /** Worker shutdown: the server goes with it (the scheduler has drained before). */
  async close(): Promise<void> {
    this.closing = true;
    if (this.timer) clearInterval(this.timer);
    this.stops.forEach((s) => s());
    await this.reconciling;
    await this.sup.close();
  }
}
