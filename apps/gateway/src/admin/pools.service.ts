import { Inject, Injectable, Logger } from '@nestjs/common';
import { GatewayEnv } from '@gantry/config';
import { POOLS, type OcrResolution, type PoolControlState, type PoolName } from '@gantry/contracts';
import { BackendHealthIndicator } from '@gantry/health';
import { PoolControlReader, PoolControlWriter, type PoolControlPatch } from '@gantry/kafka';
import { WorkerRegistry } from '@gantry/redis';
import { ApiError, ApiErrorCode } from '../errors/api-error';
import { adminNameOf, poolOfAdminName, type AdminPoolName } from './pool-names';
import { poolView, type BackendProbe, type PoolView } from './pool-view';

/** Each pool's engine and model server URL (null for an engine inside the worker). */
export const POOL_BACKENDS = Symbol('POOL_BACKENDS');
export type PoolBackends = Record<PoolName, { engine: string; url: string | null }>;

const BACKEND_TIMEOUT_MS = 2_000;

/**
 * Starts and stops pools (`/admin/models`). The desired state goes to the compacted control
 * topic; every worker replica of the pool follows it, and reads it again at each restart.
 */
@Injectable()
export class PoolsService {
  private readonly log = new Logger(PoolsService.name);

  constructor(
    private readonly env: GatewayEnv,
    private readonly reader: PoolControlReader,
    private readonly writer: PoolControlWriter,
    private readonly workers: WorkerRegistry,
    private readonly backendHealth: BackendHealthIndicator,
    @Inject(POOL_BACKENDS) private readonly backends: PoolBackends,
  ) {}

  resolve(name: string): PoolName {
    const pool = poolOfAdminName(name);
    if (!pool) throw new ApiError(ApiErrorCode.ModelNotFound, `Model ${name} not available`);
    return pool;
  }

  /** Keyed by the reference's names (`gemma`, `deepseek`). */
  async list(): Promise<Record<AdminPoolName, PoolView>> {
    const now = Date.now();
    const views = await Promise.all(POOLS.map((pool) => this.view(pool, now)));
    return Object.fromEntries(views.map((v) => [adminNameOf(v.pool), v])) as Record<AdminPoolName, PoolView>;
  }

  private async view(pool: PoolName, now: number): Promise<PoolView> {
    const [workers, backend] = await Promise.all([this.workers.live(pool), this.probe(pool)]);
    const state = this.reader.get(pool);
    const resolution: OcrResolution | null = pool === 'deepseek-ocr' ? (state?.resolution ?? this.env.OCR_DEFAULT_RESOLUTION) : null;
    return poolView({ pool, state, workers, backend, resolution, now });
  }

  private async probe(pool: PoolName): Promise<BackendProbe> {
    const { engine, url } = this.backends[pool];
    if (!url) return { engine, url: null, healthy: null };
    const result = await this.backendHealth.pingCheck('backend', url, BACKEND_TIMEOUT_MS);
    const check = result.backend as { status: string; message?: string };
    return { engine, url, healthy: check.status === 'up', ...(check.status === 'up' ? {} : { error: check.message ?? 'down' }) };
  }

  /** Workers take jobs again; with `resolution`, the OCR pool's default changes too (as a graceful switch). */
  start(pool: PoolName, resolution?: OcrResolution): Promise<PoolControlState> {
    return this.write(pool, { paused: false, ...(resolution ? { resolution } : {}) });
  }

  /** Graceful: in-flight jobs finish. Forced: they are aborted and run again after a start. */
  stop(pool: PoolName, graceful: boolean): Promise<PoolControlState> {
    return this.write(pool, { paused: true, stop_mode: graceful ? 'graceful' : 'forced' });
  }

  private async write(pool: PoolName, patch: PoolControlPatch & { paused: boolean }): Promise<PoolControlState> {
    const current = this.reader.get(pool);
    // `changed_at` moves only when the pool changes between running and stopped (it dates the uptime).
    const flips = (current?.paused === true) !== patch.paused;
    const changed_at = flips || !current?.changed_at ? new Date().toISOString() : current.changed_at;
    try {
      const state = await this.writer.update(pool, { ...patch, changed_at });
      this.log.log({ msg: patch.paused ? 'pool stopped' : 'pool started', pool, stop_mode: state.stop_mode, changed: flips });
      return state;
    } catch (err) {
      this.log.warn({ msg: 'could not write the pool state to Kafka', pool, err: String(err) });
      throw new ApiError(ApiErrorCode.QueueUnavailable, 'Kafka did not take the change; nothing changed, try again', undefined, { 'retry-after': '5' });
    }
  }
}
