import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import { InvalidMessageError, parseMessage, PoolControlStateDto, Topics, type PoolControlState, type PoolName } from '@gantry/contracts';
import type { TopicNamer } from './kafka';
import type { GantryProducer } from './producer';

export type PoolControlPatch = Partial<Omit<PoolControlState, 'schema' | 'pool' | 'updated_at'>>;

/**
 * Keeps the latest desired state of every pool from the compacted `gantry.control.v1`. Each
 * process reads the whole topic from the beginning with a group of its own that never commits,
 * so every replica (gateway or worker) converges on the same state and a restart loses nothing.
 */
export class PoolControlReader {
  private readonly log = new Logger(PoolControlReader.name);
  private readonly states = new Map<PoolName, PoolControlState>();
  private readonly listeners = new Set<(state: PoolControlState) => void>();
  private consumer?: Consumer;

  constructor(
    private readonly kafka: Kafka,
    private readonly namer: TopicNamer,
  ) {}

  /** Connects and resolves once every record that existed at start has been read. */
  async start(timeoutMs = 30_000): Promise<void> {
    const topic = this.namer.topic(Topics.control);
    const deadline = Date.now() + timeoutMs;
    // Offsets at start: the state is current once the reader has passed them all.
    const offsets = await this.startOffsets(topic, deadline);
    const pending = new Map(offsets.filter((o) => Number(o.high) > Number(o.low)).map((o) => [o.partition, Number(o.high)]));
    let caughtUp!: () => void;
    const ready = new Promise<void>((resolve) => (caughtUp = resolve));
    if (pending.size === 0) caughtUp();

    const consumer = this.kafka.consumer({
      groupId: this.namer.group(`gantry.control-reader.${randomUUID()}`),
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 200,
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        this.receive(message.key?.toString('utf8') ?? null, message.value);
        const high = pending.get(partition);
        if (high !== undefined && Number(message.offset) + 1 >= high) {
          pending.delete(partition);
          if (pending.size === 0) caughtUp();
        }
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`control topic not read within ${timeoutMs} ms`)), Math.max(0, deadline - Date.now()));
    });
    try {
      await Promise.race([ready, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The topic's offsets. Right after the topic is created (or while the broker is busy) its leader
   * may not be known yet: ask again with a fresh client, whose metadata is fetched anew.
   */
  private async startOffsets(topic: string, deadline: number): Promise<Array<{ partition: number; high: string; low: string }>> {
    for (;;) {
      const admin = this.kafka.admin();
      try {
        await admin.connect();
        return await admin.fetchTopicOffsets(topic);
      } catch (err) {
        if (Date.now() > deadline) throw err;
        this.log.debug({ msg: 'control topic offsets not available yet; retrying', err: String(err) });
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  private receive(key: string | null, value: Buffer | null): void {
    if (value === null) {
      // A tombstone forgets the pool's state.
      if (key) this.states.delete(key as PoolName);
      return;
    }
    try {
      this.apply(parseMessage(PoolControlStateDto, JSON.parse(value.toString('utf8'))));
    } catch (err) {
      const reason = err instanceof InvalidMessageError ? err.message : 'value is not valid JSON';
      this.log.warn({ msg: 'ignored invalid control record', key, err: reason });
    }
  }

  /** Applies a state unless a newer one is already known (a local write may arrive before older records). */
  apply(state: PoolControlState): void {
    const current = this.states.get(state.pool);
    if (current && current.updated_at > state.updated_at) return;
    this.states.set(state.pool, { ...state });
    for (const listener of this.listeners) listener(state);
  }

  get(pool: PoolName): PoolControlState | undefined {
    return this.states.get(pool);
  }

  /** Called with each new state of any pool; returns an unsubscribe function. */
  onChange(listener: (state: PoolControlState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    await this.consumer?.disconnect();
    this.listeners.clear();
  }
}

/** Writes a pool's desired state: the current state merged with `patch`, as one compacted record. */
export class PoolControlWriter {
  constructor(
    private readonly producer: GantryProducer,
    private readonly reader: PoolControlReader,
  ) {}

  async update(pool: PoolName, patch: PoolControlPatch): Promise<PoolControlState> {
    const current = this.reader.get(pool);
    // updated_at orders states; never let a skewed clock make the new state look older.
    const now = Date.now();
    const after = current ? Date.parse(current.updated_at) + 1 : 0;
    const next: PoolControlState = { ...current, ...patch, schema: 1, pool, updated_at: new Date(Math.max(now, after)).toISOString() };
    await this.producer.publish(Topics.control, pool, next);
    // This replica sees its own write at once; the others within a fetch.
    this.reader.apply(next);
    return next;
  }
}
