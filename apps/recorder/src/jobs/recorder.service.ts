import { Injectable, Logger } from '@nestjs/common';
import type { JobEvent, JobMessage } from '@gantry/contracts';
import { changeFromEvent, changeFromJob, foldChanges, JobsRepository, type JobChange } from '@gantry/db';
import type { ConsumedMessage } from '@gantry/kafka';
import { JobHotStore } from '@gantry/redis';

/**
 * Materialises job lifecycle: folds a batch into one change per job, upserts them in one
 * statement, then refreshes the hot copies in Redis from the rows Postgres returned. Running the
 * same batch twice leaves the same rows (every step is idempotent).
 */
@Injectable()
export class RecorderService {
  private readonly log = new Logger(RecorderService.name);

  constructor(
    private readonly jobs: JobsRepository,
    private readonly hot: JobHotStore,
  ) {}

  recordSubmitted(batch: ConsumedMessage<JobMessage>[]): Promise<void> {
    return this.apply(batch.map((m) => changeFromJob(m.value)));
  }

  recordEvents(batch: ConsumedMessage<JobEvent>[]): Promise<void> {
    return this.apply(batch.map((m) => changeFromEvent(m.value)).filter((c): c is JobChange => c !== null));
  }

  private async apply(changes: JobChange[]): Promise<void> {
    const folded = foldChanges(changes);
    if (!folded.length) return;
    const views = await this.jobs.applyChanges(folded);
    await this.hot.putMany(views);
    this.log.debug({ msg: 'recorded', changes: changes.length, rows: views.length });
  }
}
