import { Inject, Injectable, Logger } from '@nestjs/common';
import { PRIORITIES, Topics, type PoolName } from '@gantry/contracts';
import { KafkaInspector } from '@gantry/kafka';
import { GatewayEnv } from '@gantry/config';

export const ADMISSION_INSPECTOR = Symbol('ADMISSION_INSPECTOR');

interface Measured {
  backlog: number | null;
  at: number;
}

/**
 * A pool's backlog: the Kafka lag of its worker group (`gantry.worker.<pool>`, committed offsets
 * against end offsets) summed over the pool's three priority topics. Measured at most once per
 * ADMISSION_CACHE_MS per pool; concurrent submits share one measurement.
 */
@Injectable()
export class PoolBacklogService {
  private readonly log = new Logger(PoolBacklogService.name);
  private readonly measured = new Map<PoolName, Measured>();
  private readonly pending = new Map<PoolName, Promise<Measured>>();
  private readonly cacheMs: number;

  constructor(
    @Inject(ADMISSION_INSPECTOR) private readonly inspector: KafkaInspector,
    env: GatewayEnv,
  ) {
    this.cacheMs = env.ADMISSION_CACHE_MS;
  }

  /** Messages the pool's workers have not finished; null when Kafka could not say. */
  async backlog(pool: PoolName): Promise<number | null> {
    const last = this.measured.get(pool);
    if (last && Date.now() - last.at < this.cacheMs) return last.backlog;
    let p = this.pending.get(pool);
    if (!p) {
      p = this.measure(pool).finally(() => this.pending.delete(pool));
      this.pending.set(pool, p);
    }
    return (await p).backlog;
  }

  private async measure(pool: PoolName): Promise<Measured> {
    let backlog: number | null = null;
    try {
      const lags = await this.inspector.lag(`gantry.worker.${pool}`, PRIORITIES.map((p) => Topics.jobs(pool, p)));
      backlog = lags.reduce((n, l) => n + l.lag, 0);
    } catch (err) {
      // Unknown backlog admits: if Kafka is really down, the publish itself refuses the job.
      this.log.warn({ msg: 'pool backlog unknown', pool, err: String(err) });
    }
    const m = { backlog, at: Date.now() };
    this.measured.set(pool, m);
    return m;
  }
}
