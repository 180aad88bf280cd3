import { Logger } from '@nestjs/common';
import { CompressionTypes, Partitioners, type Kafka, type Producer, type TopicMessages } from 'kafkajs';
import type { PayloadOf, TopicName } from '@gantry/contracts';
import type { TopicNamer } from './kafka';

interface Pending {
  topic: string;
  key: string;
  value: string;
  headers: Record<string, string>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class PublishError extends Error {
  constructor(cause: unknown) {
    super(`Kafka publish failed: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'PublishError';
  }
}

/**
 * Idempotent producer (acks=-1) that coalesces concurrent `publish` calls into one `sendBatch` per
 * event-loop turn: under load many submits share one produce request; alone, a message leaves at
 * once. Each call resolves only when the broker has acknowledged its message.
 */
export class GantryProducer {
  private readonly log = new Logger(GantryProducer.name);
  private readonly producer: Producer;
  private pending: Pending[] = [];
  private scheduled = false;
  private inFlight = new Set<Promise<void>>();

  constructor(
    kafka: Kafka,
    private readonly namer: TopicNamer,
    private readonly opts: { compression?: CompressionTypes; timeoutMs?: number } = {},
  ) {
    // Bounded retries: a submit must answer in bounded time even with the broker down.
    this.producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1, retry: { retries: 6, maxRetryTime: 2000 } });
  }

  async connect(): Promise<void> {
    await this.producer.connect();
  }

  publish<T extends TopicName>(topic: T, key: string, payload: PayloadOf<T>, headers: Record<string, string> = {}): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ topic: this.namer.topic(topic), key, value: JSON.stringify(payload), headers, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const byTopic = new Map<string, TopicMessages>();
    for (const m of batch) {
      let tm = byTopic.get(m.topic);
      if (!tm) byTopic.set(m.topic, (tm = { topic: m.topic, messages: [] }));
      tm.messages.push({ key: m.key, value: m.value, headers: { 'content-type': 'application/json', ...m.headers } });
    }
    const send = this.producer
      .sendBatch({ topicMessages: [...byTopic.values()], acks: -1, compression: this.opts.compression ?? CompressionTypes.None, timeout: this.opts.timeoutMs ?? 10_000 })
      .then(
        () => batch.forEach((m) => m.resolve()),
        (err: unknown) => {
          this.log.error({ msg: 'publish failed', messages: batch.length, err: String(err) });
          const error = new PublishError(err);
          batch.forEach((m) => m.reject(error));
        },
      );
    this.inFlight.add(send);
    void send.finally(() => this.inFlight.delete(send));
  }

  async disconnect(): Promise<void> {
    if (this.pending.length) this.flush();
    await Promise.allSettled([...this.inFlight]);
    await this.producer.disconnect();
  }
}
