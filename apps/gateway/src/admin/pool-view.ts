import type { OcrResolution, PoolControlState, PoolName, PoolStopMode } from '@gantry/contracts';
import type { WorkerReport } from '@gantry/redis';
import { adminNameOf, type AdminPoolName } from './pool-names';

/**
 * - `running`: meant to run, and at least one live worker takes jobs.
 * - `starting`: meant to run, but no live worker has applied the start yet.
 * - `no_workers`: meant to run, but no worker of the pool is alive.
 * - `stopping`: stopped, but a worker still runs jobs (a graceful stop drains) or has not applied the stop yet.
 * - `stopped`: stopped, and no worker runs or takes a job.
 * - `idle`: meant to run, but auto_switch stopped its model server (no job for the window); it
 *   starts again when requests wait.
 */
export type PoolStatus = 'running' | 'starting' | 'no_workers' | 'stopping' | 'stopped' | 'idle';

/** The model server a `process`-driver worker runs (from its heartbeat). */
export type ServerView = NonNullable<WorkerReport['server']>;

/** One entry of `GET /admin/models`: the reference's fields (reference/002) plus Gantry's own. */
export interface PoolView {
  /** The reference's name (`gemma`, `deepseek`): the key in `GET /admin/models`. */
  name: AdminPoolName;
  /** Gantry's pool (`gemma`, `deepseek-ocr`): `WORKER_POOL`, topic names, metrics and crash logs use it. */
  pool: PoolName;
  status: PoolStatus;
  /** The desired state in the control topic, which every worker replica follows. */
  desired: 'running' | 'stopped';
  /** How the pool was stopped; null while it is meant to run. */
  stop_mode: PoolStopMode | null;
  /** Port of the pool's model server; null for an in-process engine. */
  port: number | null;
  /** Since when the pool runs: its last start, or its oldest live worker's start if later; null unless running. */
  started_at: string | null;
  uptime_seconds: number | null;
  /** When the pool was stopped; null while it is meant to run. */
  stopped_at: string | null;
  /** The OCR pool's default resolution; null for other pools. */
  resolution: OcrResolution | null;
  /** The model server answers and at least one worker is alive: the pool can run jobs once started. */
  is_healthy: boolean;
  /** `vllm` (an HTTP model server) or `tesseract` (in the worker). */
  engine: string;
  backend_url: string | null;
  /** `GET <backend_url>/health` answered 2xx within 2 s; null when the engine has no server of its own. */
  backend_healthy: boolean | null;
  /** Why the backend is not healthy, when it is not. */
  backend_error?: string;
  /** Live worker replicas (heartbeat younger than 6 s). */
  workers: number;
  /** Jobs running on them now. */
  in_flight: number;
  /** `external` (someone else runs the model server) or `process` (the worker does); null without a live worker. */
  driver: 'external' | 'process' | null;
  /** With `process`: the server's `status`, `pid`, `restarts`, `last_exit`, `log_file`, `args`; else null. */
  server: ServerView | null;
}

export interface BackendProbe {
  engine: string;
  url: string | null;
  healthy: boolean | null;
  error?: string;
}

function portOf(url: string | null): number | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
  } catch {
    return null;
  }
}

function statusOf(paused: boolean, workers: WorkerReport[], inFlight: number): PoolStatus {
  if (paused) return inFlight > 0 || workers.some((w) => w.dispatching) ? 'stopping' : 'stopped';
  if (workers.length === 0) return 'no_workers';
  if (workers.some((w) => w.dispatching)) return 'running';
  return workers.some((w) => w.server?.status === 'idle_stopped') ? 'idle' : 'starting';
}

/** Puts one pool's desired state, its workers' heartbeats and its backend's health together. */
export function poolView(input: {
  pool: PoolName;
  state: PoolControlState | undefined;
  workers: WorkerReport[];
  backend: BackendProbe;
  resolution: OcrResolution | null;
  now: number;
}): PoolView {
  const { pool, state, workers, backend, now } = input;
  const paused = state?.paused === true;
  const inFlight = workers.reduce((n, w) => n + w.in_flight, 0);
  const status = statusOf(paused, workers, inFlight);
  const changedAt = state?.changed_at ? Date.parse(state.changed_at) : null;
  let startedAt: number | null = null;
  if (status === 'running') {
    const workerStarts = workers.filter((w) => w.dispatching && typeof w.started_at === 'number').map((w) => w.started_at as number);
    const oldestWorker = workerStarts.length ? Math.min(...workerStarts) : null;
    const candidates = [changedAt, oldestWorker].filter((t): t is number => t !== null);
    startedAt = candidates.length ? Math.max(...candidates) : null;
  }
  const serverUp = backend.url ? backend.healthy === true : true;
  return {
    name: adminNameOf(pool),
    pool,
    status,
    desired: paused ? 'stopped' : 'running',
    stop_mode: paused ? (state?.stop_mode ?? 'graceful') : null,
    port: portOf(backend.url),
    started_at: startedAt === null ? null : new Date(startedAt).toISOString(),
    uptime_seconds: startedAt === null ? null : Math.max(0, Math.floor((now - startedAt) / 1000)),
    stopped_at: paused && state?.changed_at ? state.changed_at : null,
    resolution: input.resolution,
    is_healthy: serverUp && workers.length > 0,
    engine: backend.engine,
    backend_url: backend.url,
    backend_healthy: backend.url ? backend.healthy === true : null,
    ...(backend.error ? { backend_error: backend.error } : {}),
    workers: workers.length,
    in_flight: inFlight,
    driver: workers.find((w) => w.driver)?.driver ?? null,
    server: workers.find((w) => w.server)?.server ?? null,
  };
}
