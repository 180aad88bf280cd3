import { PeriodicTask } from '@gantry/common';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { BatchesRepository, type BatchRow } from '@gantry/db';
import { BatchChildrenService } from './batch-children.service';
import { BatchEventsService } from './batch-events.service';

export const BATCH_SWEEP_INTERVAL = Symbol('BATCH_SWEEP_INTERVAL');
const OPEN_BATCHES_PER_SWEEP = 100;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function newFileId(): string {
  return `file-${[...randomBytes(24)].map((b) => ALPHABET[b % ALPHABET.length]).join('')}`;
}

/**
 * Moves open batches forward from their children's recorded rows: counters (recomputed, so
 * idempotent), then `finalizing` → output and error files → `completed`, `expired` (window
 * passed) or `cancelled`, then the end event for webhooks. Any recorder replica may sweep: the
 * finalizing claim and the assembly are conditional updates, so one wins.
 */
@Injectable()
export class BatchCompletionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(BatchCompletionService.name);
  private readonly task: PeriodicTask<void>;
  /** Batch id → `expanded_through` when its children were last stopped: stop again only if more were published since. */
  private readonly stopped = new Map<string, number>();

  constructor(
    private readonly repo: BatchesRepository,
    private readonly children: BatchChildrenService,
    private readonly events: BatchEventsService,
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
      // Each batch on its own: one that keeps failing must not hold up the others or the end events.
      for (const batch of await this.repo.openBatches(OPEN_BATCHES_PER_SWEEP)) {
        await this.advance(batch).catch((err: unknown) => this.log.warn({ msg: 'batch not advanced; will try again', batch_id: batch.id, err: String(err) }));
      }
    } catch (err) {
      this.log.warn({ msg: 'batch sweep failed; will try again', err: String(err) });
    }
    await this.events.announceEnded().catch((err: unknown) => this.log.warn({ msg: 'batch end events not sent; will try again', err: String(err) }));
  }

  private async advance(batch: BatchRow): Promise<void> {
    if (batch.status === 'finalizing') {
      // A sweep that died between the claim and the stop finishes the stop first.
      if (batch.final_status === 'expired' || batch.final_status === 'cancelled') await this.stopChildren(batch, batch.final_status);
      return this.assemble(batch);
    }
    const p = await this.repo.progress(batch.id);
    await this.repo.updateCounts(batch.id, p.completed, batch.invalid + p.failedChildren);
    if (batch.status === 'cancelling') {
      if (p.pendingExpanded > 0) await this.stopChildren(batch, 'cancelled');
      else if (await this.repo.claimFinalizing(batch.id, 'cancelling', 'cancelled')) await this.reassemble(batch.id);
      return;
    }
    if (new Date(batch.expires_at).getTime() <= Date.now()) {
      // Claimed first (the expander stops at once), then what is still queued or running is stopped.
      if (await this.repo.claimFinalizing(batch.id, 'in_progress', 'expired')) {
        await this.stopChildren(batch, 'expired');
        await this.reassemble(batch.id);
      }
      return;
    }
    const expanded = batch.expanded_through >= batch.last_leader_line;
    if (expanded && p.pendingExpanded === 0 && (await this.repo.claimFinalizing(batch.id, 'in_progress', 'completed'))) await this.reassemble(batch.id);
  }

  private async stopChildren(batch: BatchRow, outcome: 'cancelled' | 'expired'): Promise<void> {
    const fresh = (await this.repo.findBatch(batch.id)) ?? batch;
    if ((this.stopped.get(batch.id) ?? -1) >= fresh.expanded_through) return;
    await this.children.stop(fresh, outcome);
    this.stopped.set(batch.id, fresh.expanded_through);
  }

  private async reassemble(batchId: string): Promise<void> {
    const batch = await this.repo.findBatch(batchId);
    if (batch) await this.assemble(batch);
  }

  private async assemble(batch: BatchRow): Promise<void> {
    await this.repo.assemble(batch, { outputFileId: newFileId(), errorFileId: newFileId() });
    this.stopped.delete(batch.id);
    this.log.log({ msg: 'batch finished', batch_id: batch.id, status: batch.final_status });
  }
}
