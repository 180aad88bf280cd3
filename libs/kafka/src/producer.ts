import { Logger } from '@nestjs/common';
import { CompressionTypes, Partitioners, type Kafka, type Producer, type TopicMessages } from 'kafkajs';
import { currentTrace, traceHeaders } from '@gantry/common';
import type { PayloadOf, TopicName } from '@gantry/contracts';
import type { TopicNamer } from './kafka';

interface Pending {
  topic: string;
  logicalTopic: string;
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
    private readonly opts: {
      compression?: CompressionTypes;
      timeoutMs?: number;
      /** Called with each logical topic and how many of its messages the broker acknowledged (metrics). */
      onDelivered?: (topic: string, count: number) => void;
    } = {},
  ) {
    // Bounded retries: a submit must answer in bounded time even with the broker down.
    this.producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1, retry: { retries: 6, maxRetryTime: 2000 } });
  }

  async connect(): Promise<void> {
    await this.producer.connect();
  }

  publish<T extends TopicName>(topic: T, key: string, payload: PayloadOf<T>, headers: Record<string, string> = {}): Promise<void> {
    // Published while handling a request or a job: the message carries its trace (explicit headers win).
    const trace = currentTrace();
    const all = trace ? { ...traceHeaders(trace), ...headers } : headers;
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ topic: this.namer.topic(topic), logicalTopic: topic, key, value: JSON.stringify(payload), headers: all, resolve, reject });
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
        () => {
          batch.forEach((m) => m.resolve());
          if (this.opts.onDelivered) this.reportDelivered(batch, this.opts.onDelivered);
        },
        (err: unknown) => {
          this.log.error({ msg: 'publish failed', messages: batch.length, err: String(err) });
          const error = new PublishError(err);
          batch.forEach((m) => m.reject(error));
        },
      );
    this.inFlight.add(send);
    void send.finally(() => this.inFlight.delete(send));
  }

  private reportDelivered(batch: Pending[], onDelivered: (topic: string, count: number) => void): void {
    const counts = new Map<string, number>();
    for (const m of batch) counts.set(m.logicalTopic, (counts.get(m.logicalTopic) ?? 0) + 1);
    try {
      for (const [topic, n] of counts) onDelivered(topic, n);
    } catch (err) {
      this.log.warn({ msg: 'onDelivered hook failed', err: String(err) });
    }
  }

  async disconnect(): Promise<void> {
    if (this.pending.length) this.flush();
    await Promise.allSettled([...this.inFlight]);
    await this.producer.disconnect();
  }
}
