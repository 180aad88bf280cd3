import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Consumer, Kafka } from 'kafkajs';
import { BACKEND_MODEL, batchTarget, isBatchMessage, Topics, type JobMessage, type JobRequest } from '@gantry/contracts';
import { BatchesRepository } from '@gantry/db';
import { GantryProducer, type TopicNamer } from '@gantry/kafka';

export interface BatchExpanderSettings {
  kafka: Kafka;
  namer: TopicNamer;
  sessionTimeoutMs: number;
  /** Child jobs published per chunk; the checkpoint moves once per chunk. */
  chunk: number;
  /** Most child jobs published per second. */
  rate: number;
}
export const BATCH_EXPANDER_SETTINGS = Symbol('BATCH_EXPANDER_SETTINGS');
export const BATCHER_GROUP = 'gantry.batcher';

/** Thrown to leave a batch's message uncommitted (shutdown mid-batch): the next owner resumes it. */
class ExpansionInterrupted extends Error {}

/**
 * Fans a batch (`gantry.batches.v1`) out into child jobs, chunk by chunk, at a bounded rate.
 * Resumable: the checkpoint (`expanded_through`) is in Postgres and the Kafka offset is committed
 * only when the batch is fully expanded. Child ids derive from batch id + line, so a chunk
 * replayed after a crash republishes the same jobs (the recorder's upsert keeps one row each and
 * the output reads one result per line): no line is skipped or answered twice.
 */
@Injectable()
export class BatchExpanderService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(BatchExpanderService.name);
  private consumer?: Consumer;
  private stopping = false;

  constructor(
    private readonly repo: BatchesRepository,
    private readonly producer: GantryProducer,
    @Inject(BATCH_EXPANDER_SETTINGS) private readonly settings: BatchExpanderSettings,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { kafka, namer } = this.settings;
    this.consumer = kafka.consumer({ groupId: namer.group(BATCHER_GROUP), sessionTimeout: this.settings.sessionTimeoutMs });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [namer.topic(Topics.batches)], fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ message, heartbeat }) => {
        let value: unknown;
        try {
          value = JSON.parse(message.value?.toString() ?? '');
        } catch {
          value = null;
        }
        if (!isBatchMessage(value)) {
          this.log.warn({ msg: 'malformed batch message skipped', offset: message.offset });
          return;
        }
        await this.expand(value.batch_id, heartbeat);
      },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.consumer?.disconnect().catch(() => undefined);
  }

  /** Publishes the batch's remaining children from its checkpoint; returns when none is left. */
  async expand(batchId: string, heartbeat: () => Promise<void> = async () => undefined): Promise<void> {
    const { chunk, rate } = this.settings;
    for (;;) {
      if (this.stopping) throw new ExpansionInterrupted(`expansion of ${batchId} interrupted by shutdown`);
      const batch = await this.repo.findBatch(batchId);
      // Cancelled, expired or finished: nothing more is published.
      if (!batch || batch.status !== 'in_progress') return;
      const leaders = await this.repo.leadersAfter(batchId, batch.expanded_through, chunk);
      if (!leaders.length) return;
      const started = Date.now();
      const { kind, pool } = batchTarget(batch.endpoint);
      const topic = Topics.jobs(pool, batch.priority);
      await Promise.all(
        leaders.map((l) => {
          const job: JobMessage = {
            schema: 1,
            request_id: l.request_id,
            client_id: batch.client_id,
            kind,
            pool,
            model: BACKEND_MODEL[pool],
            priority: batch.priority,
            created_at: new Date().toISOString(),
            request: l.body as JobRequest,
            batch_id: batchId,
          };
          return this.producer.publish(topic, job.request_id, job, { 'x-request-id': job.request_id, 'x-batch-id': batchId });
        }),
      );
      await this.repo.checkpointExpansion(batchId, leaders[leaders.length - 1].line_no);
      await heartbeat();
      const wait = (leaders.length * 1000) / rate - (Date.now() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }
}
