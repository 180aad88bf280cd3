import { Inject, Injectable, Logger } from '@nestjs/common';
import { BACKEND_MODEL, batchTarget, lifecycleEvent, Topics } from '@gantry/contracts';
import { BatchesRepository, type BatchRow } from '@gantry/db';
import { GantryProducer } from '@gantry/kafka';
import { JobChannels } from '@gantry/redis';
import type { Redis } from 'ioredis';
import { RECORDER_REDIS } from '../jobs/recorder.service';

/** Markers and events go out in slices: one Kafka produce request must stay under the broker's size limit. */
const SLICE = 1_000;

/**
 * Stops a cancelled or expired batch's unfinished children as one set operation: the children
 * come from one query, cancel markers go to Redis in pipelines (every worker skips a marked job
 * when it dequeues it), running ones are aborted through the cancel broadcast, and queued ones
 * are recorded terminal at once by their lifecycle event (so the batch can end without waiting
 * for the queue to drain past them).
 */
@Injectable()
export class BatchChildrenService {
  private readonly log = new Logger(BatchChildrenService.name);

  constructor(
    private readonly repo: BatchesRepository,
    private readonly producer: GantryProducer,
    @Inject(RECORDER_REDIS) private readonly redis: Redis,
    private readonly channels: JobChannels,
  ) {}

  async stop(batch: BatchRow, outcome: 'cancelled' | 'expired'): Promise<number> {
    const children = await this.repo.unfinishedChildren(batch.id);
    if (!children.length) return 0;
    const { kind, pool } = batchTarget(batch.endpoint);
    const error =
      outcome === 'cancelled'
        ? { code: 'batch_cancelled', message: `batch ${batch.id} was cancelled` }
        : { code: 'batch_expired', message: `batch ${batch.id} passed its completion window` };
    // Redis unreachable: queued children are still recorded terminal below; a worker that dequeues one runs it, and its result is ignored.
    if (this.redis.status === 'ready') {
      try {
        // Every marker before any abort: an aborted child frees its slot, which must not go to a queued sibling.
        for (let i = 0; i < children.length; i += SLICE) {
          const pipe = this.redis.pipeline();
          for (const c of children.slice(i, i + SLICE)) pipe.set(JobChannels.cancelKey(c.request_id), '1', 'EX', JobChannels.CANCEL_MARKER_TTL_SECONDS);
          await pipe.exec();
        }
        const running = children.filter((c) => c.running);
        if (running.length) {
          const pipe = this.redis.pipeline();
          for (const c of running) pipe.publish(this.channels.cancel, c.request_id);
          await pipe.exec();
        }
      } catch (err) {
        this.log.warn({ msg: 'cancel markers not written', batch_id: batch.id, err: String(err) });
      }
    }
    const queued = children.filter((c) => !c.running);
    for (let i = 0; i < queued.length; i += SLICE) {
      await Promise.all(
        queued.slice(i, i + SLICE).map((c) => {
          const job = { request_id: c.request_id, client_id: batch.client_id, pool, model: BACKEND_MODEL[pool], priority: batch.priority, kind };
          return this.producer.publish(Topics.jobEvents, c.request_id, lifecycleEvent(job, outcome, c.attempts, { error }), { 'x-request-id': c.request_id, 'x-batch-id': batch.id });
        }),
      );
    }
    this.log.log({ msg: 'batch children stopped', batch_id: batch.id, outcome, children: children.length, running: children.filter((c) => c.running).length });
    return children.length;
  }
}
