import { PeriodicTask } from '@gantry/common';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { BatchesRepository, type BatchRow } from '@gantry/db';

export const BATCH_SWEEP_INTERVAL = Symbol('BATCH_SWEEP_INTERVAL');
const OPEN_BATCHES_PER_SWEEP = 100;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function newFileId(): string {
  return `file-${[...randomBytes(24)].map((b) => ALPHABET[b % ALPHABET.length]).join('')}`;
}

/**
 * Moves open batches forward from their children's recorded rows: counters (recomputed, so
 * idempotent), then `finalizing` → output and error files → `completed`, `expired` (window
 * passed) or `cancelled`. Any recorder replica may sweep: the finalizing claim and the assembly
 * are conditional updates, so one wins.
 */
@Injectable()
export class BatchCompletionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(BatchCompletionService.name);
  private readonly task: PeriodicTask<void>;

  constructor(
    private readonly repo: BatchesRepository,
    @Inject(BATCH_SWEEP_INTERVAL) intervalMs: number,
  ) {
    this.task = new PeriodicTask(() => this.sweepOnce(), intervalMs);
  }

  onApplicationBootstrap(): void {
    this.task.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.task.stop();
  }

  sweep(): Promise<void> {
    return this.task.run();
  }

  private async sweepOnce(): Promise<void> {
    try {
      for (const batch of await this.repo.openBatches(OPEN_BATCHES_PER_SWEEP)) await this.advance(batch);
    } catch (err) {
      this.log.warn({ msg: 'batch sweep failed; will try again', err: String(err) });
    }
  }

  private async advance(batch: BatchRow): Promise<void> {
    if (batch.status === 'finalizing') return this.assemble(batch);
    const p = await this.repo.progress(batch.id);
    await this.repo.updateCounts(batch.id, p.completed, batch.invalid + p.failedChildren);
    if (batch.status === 'cancelling') {
      if (p.pendingExpanded === 0 && (await this.repo.claimFinalizing(batch.id, 'cancelling', 'cancelled'))) await this.reassemble(batch.id);
      return;
    }
    if (new Date(batch.expires_at).getTime() <= Date.now()) {
      if (await this.repo.claimFinalizing(batch.id, 'in_progress', 'expired')) await this.reassemble(batch.id);
      return;
    }
    const expanded = batch.expanded_through >= batch.last_leader_line;
    if (expanded && p.pendingExpanded === 0 && (await this.repo.claimFinalizing(batch.id, 'in_progress', 'completed'))) await this.reassemble(batch.id);
  }

  private async reassemble(batchId: string): Promise<void> {
    const batch = await this.repo.findBatch(batchId);
    if (batch) await this.assemble(batch);
  }

  private async assemble(batch: BatchRow): Promise<void> {
    await this.repo.assemble(batch, { outputFileId: newFileId(), errorFileId: newFileId() });
    this.log.log({ msg: 'batch finished', batch_id: batch.id, status: batch.final_status });
  }
}
