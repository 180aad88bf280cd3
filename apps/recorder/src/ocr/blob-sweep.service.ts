import { PeriodicTask } from '@gantry/common';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { BlobStore } from '@gantry/db';

export interface BlobSweepSettings {
  retentionSeconds: number;
  /** 0 turns the sweep off. */
  intervalMs: number;
}
export const BLOB_SWEEP_SETTINGS = Symbol('BLOB_SWEEP_SETTINGS');

/** A blob whose job never appeared (a submit that failed after storing it) is dropped after job topics' retention. */
const ORPHAN_SECONDS = 7 * 24 * 3600;
const BATCH = 500;

/**
 * Retention of claim-checked files: images and PDFs of finished jobs are deleted once the job
 * has been finished for BLOB_RETENTION_SECONDS. It lives in the recorder because the recorder is
 * what decides a job is finished; every recorder replica may sweep, deleting is idempotent.
 */
@Injectable()
export class BlobSweepService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(BlobSweepService.name);
  private readonly task: PeriodicTask<number>;

  constructor(
    private readonly blobs: BlobStore,
    @Inject(BLOB_SWEEP_SETTINGS) private readonly settings: BlobSweepSettings,
  ) {
    this.task = new PeriodicTask(() => this.sweepOnce(), settings.intervalMs);
  }

  onApplicationBootstrap(): void {
    this.task.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.task.stop();
  }

  /** Deletes expired blobs (in batches until none is left); returns how many. */
  sweep(): Promise<number> {
    return this.task.run();
  }

  private async sweepOnce(): Promise<number> {
    let total = 0;
    try {
      for (;;) {
        const n = await this.blobs.removeExpired(this.settings.retentionSeconds, ORPHAN_SECONDS, BATCH);
        total += n;
        if (n < BATCH) break;
      }
      if (total) this.log.log({ msg: 'expired blobs deleted', count: total });
    } catch (err) {
      this.log.warn({ msg: 'blob sweep failed; will try again', err: String(err) });
    }
    return total;
  }
}
