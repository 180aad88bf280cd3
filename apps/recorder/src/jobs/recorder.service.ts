import { Inject, Injectable, Logger } from '@nestjs/common';
import type { JobEvent, JobMessage } from '@gantry/contracts';
import { changeFromEvent, changeFromJob, foldChanges, JobsRepository, type JobChange } from '@gantry/db';
import type { ConsumedMessage } from '@gantry/kafka';
import { JobChannels, JobHotStore, publishJobUpdates } from '@gantry/redis';
import type { Redis } from 'ioredis';
import { logOutcomes } from '../observability/outcome-log';
import { DocumentProgressService } from '../ocr/document-progress.service';
import { WebhookRequestsService } from '../webhooks/webhook-requests.service';

export const RECORDER_REDIS = Symbol('RECORDER_REDIS');

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
    @Inject(RECORDER_REDIS) private readonly redis: Redis,
    private readonly channels: JobChannels,
    private readonly webhooks: WebhookRequestsService,
    private readonly documents: DocumentProgressService,
  ) {}

  recordSubmitted(batch: ConsumedMessage<JobMessage>[]): Promise<void> {
    return this.apply(batch.map((m) => changeFromJob(m.value)));
  }

  recordEvents(batch: ConsumedMessage<JobEvent>[]): Promise<void> {
    return this.apply(batch.map((m) => changeFromEvent(m.value)).filter((c): c is JobChange => c !== null))
      .then(() => this.documents.advance(batch.map((m) => m.value)))
      .then(() => logOutcomes(this.log, batch));
  }

  private async apply(changes: JobChange[]): Promise<void> {
    const folded = foldChanges(changes);
    if (!folded.length) return;
    const views = await this.jobs.applyChanges(folded);
    // Redis only makes polls fast: while it is unreachable the rows above are the record and polls
    // read Postgres, so skip (not fail and replay) the hot copies and wake-ups (issue 6).
    if (this.redis.status === 'ready') {
      try {
        await this.hot.putMany(views);
        // After the hot copy: a woken waiter that reads the job sees at least this state.
        await publishJobUpdates(this.redis, this.channels, views.map((view) => ({ requestId: view.request_id, update: { type: 'state', status: view.status, view } })));
      } catch (err) {
        this.log.warn({ msg: 'hot copies not written: Redis unreachable', rows: views.length, err: String(err) });
      }
    } else {
      this.log.warn({ msg: 'hot copies skipped: Redis unreachable', rows: views.length });
    }
    await this.webhooks.request(changes, views);
    this.log.debug({ msg: 'recorded', changes: changes.length, rows: views.length });
  }
}
