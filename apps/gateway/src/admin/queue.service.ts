import { Inject, Injectable, Logger } from '@nestjs/common';
import { PRIORITIES, Topics, type PoolName } from '@gantry/contracts';
import { PoolStatsRepository } from '@gantry/db';
import { KafkaInspector } from '@gantry/kafka';
import { WorkerRegistry } from '@gantry/redis';
import { ApiError, ApiErrorCode } from '../errors/api-error';
import { poolOfAdminName } from './pool-names';
import { queueView, type QueueView } from './queue-view';

/** Backlog limit per pool (the admission limit); absent or 0 = no limit. */
export const QUEUE_LIMITS = Symbol('QUEUE_LIMITS');

@Injectable()
export class QueueService {
  private readonly log = new Logger(QueueService.name);

  constructor(
    private readonly inspector: KafkaInspector,
    private readonly workers: WorkerRegistry,
    private readonly stats: PoolStatsRepository,
    @Inject(QUEUE_LIMITS) private readonly limits: ReadonlyMap<PoolName, number>,
  ) {}

  /**
   * Backlog from Kafka (offsets of the pool's worker group), running jobs and capacity from the
   * workers' heartbeats in Redis, totals and the oldest queued job from Postgres.
   */
  async view(name: string): Promise<QueueView> {
    const pool = poolOfAdminName(name);
    if (!pool) throw new ApiError(ApiErrorCode.ModelNotFound, `Model ${name} not available`);
    const lag = await this.inspector
      .lag(
        `gantry.worker.${pool}`,
        PRIORITIES.map((p) => Topics.jobs(pool, p)),
      )
      .catch((err: unknown) => {
        this.log.warn({ msg: 'could not read the pool backlog from Kafka', pool, err: String(err) });
        throw new ApiError(ApiErrorCode.QueueUnavailable, 'Kafka did not answer; the queue cannot be measured now', undefined, { 'retry-after': '5' });
      });
    const [workers, totals] = await Promise.all([this.workers.live(pool), this.stats.totals(pool)]);
    const limit = this.limits.get(pool) ?? 0;
    return queueView({ pool, lag, workers, totals, maxWaiting: limit > 0 ? limit : null, now: Date.now() });
  }
}
