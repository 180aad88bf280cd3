import type { Admin, Kafka } from 'kafkajs';
import { withTimeout } from '@gantry/common';
import { registerLagSource } from '@gantry/metrics';
import type { TopicNamer } from './kafka';

/** Backlog of one partition for one consumer group. */
export interface PartitionLag {
  /** Logical topic name (without the deployment prefix). */
  topic: string;
  partition: number;
  /** Offset the next produced message gets. */
  end: number;
  /** Next offset the group will read; null when the group never committed on this partition. */
  committed: number | null;
  /** Messages the group has not committed yet. */
  lag: number;
}

/**
 * Backlog = end offset − committed offset. A group that never committed on a partition will read
 * it from the earliest retained offset (`fromBeginning`), so everything retained counts; a
 * committed offset that retention has passed counts from the earliest offset too.
 */
export function partitionLag(end: number, earliest: number, committed: number | null): number {
  const from = committed === null || committed < 0 ? earliest : Math.max(committed, earliest);
  return Math.max(0, end - from);
}

/**
 * Read-only questions to the broker for operators (health, consumer lag), over one lazily
 * connected admin client. A failed call drops the client so the next one reconnects.
 */
export class KafkaInspector {
  private admin?: Promise<Admin>;

  constructor(
    private readonly kafka: Kafka,
    private readonly namer: TopicNamer,
    private readonly timeoutMs = 5_000,
  ) {}

  private connected(): Promise<Admin> {
    this.admin ??= (async () => {
      // Few retries: an operator's question should fail fast rather than hang behind a dead broker.
      const admin = this.kafka.admin({ retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 } });
      await admin.connect();
      return admin;
    })();
    return this.admin;
  }

  private async call<T>(what: string, fn: (admin: Admin) => Promise<T>, timeoutMs = this.timeoutMs): Promise<T> {
    const admin = this.connected();
    try {
      return await withTimeout(admin.then(fn), timeoutMs, what);
    } catch (err) {
      if (this.admin === admin) {
        this.admin = undefined;
        void admin.then((a) => a.disconnect()).catch(() => undefined);
      }
      throw err;
    }
  }

  /** The broker answers a metadata request: the cluster's brokers and controller. */
  ping(timeoutMs = 2_000): Promise<{ brokers: number; controller: number | null }> {
    return this.call(
      'Kafka describeCluster',
      async (admin) => {
        const c = await admin.describeCluster();
        return { brokers: c.brokers.length, controller: c.controller };
      },
      timeoutMs,
    );
  }

  /** Per-partition backlog of `group` (logical name) on `topics` (logical names). */
  lag(group: string, topics: string[]): Promise<PartitionLag[]> {
    return this.call(`Kafka offsets of ${group}`, async (admin) => {
      const physical = topics.map((t) => this.namer.topic(t));
      const [ends, committed] = await Promise.all([
        Promise.all(physical.map((t) => admin.fetchTopicOffsets(t))),
        admin.fetchOffsets({ groupId: this.namer.group(group), topics: physical }),
      ]);
      const committedOf = new Map<string, number>();
      for (const t of committed) for (const p of t.partitions) committedOf.set(`${t.topic}/${p.partition}`, Number(p.offset));
      const out: PartitionLag[] = [];
      topics.forEach((topic, i) => {
        for (const p of ends[i]) {
          const c = committedOf.get(`${physical[i]}/${p.partition}`);
          const commit = c === undefined || c < 0 ? null : c;
          out.push({ topic, partition: p.partition, end: Number(p.high), committed: commit, lag: partitionLag(Number(p.high), Number(p.low), commit) });
        }
      });
      return out;
    });
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    if (admin) await admin.then((a) => a.disconnect()).catch(() => undefined);
  }
}

/**
 * Exports `gantry_kafka_consumer_lag` for `group` (logical) on `topics` (logical), read through
 * `inspector` at scrape time. Returns the function that stops it.
 */
export function watchConsumerLag(inspector: KafkaInspector, namer: TopicNamer, group: string, topics: string[]): () => void {
  const physicalGroup = namer.group(group);
  return registerLagSource(physicalGroup, async () =>
    (await inspector.lag(group, topics)).map((p) => ({ group: physicalGroup, topic: namer.topic(p.topic), lag: p.lag })),
  );
}
