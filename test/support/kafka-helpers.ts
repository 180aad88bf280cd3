import { randomBytes, randomUUID } from 'node:crypto';
import { Partitioners, type Consumer, type Producer } from 'kafkajs';
import { lifecycleEvent, type DeadLetter, type JobEvent, type JobEventType, type JobMessage } from '@gantry/contracts';
import { waitFor, waitTerminal, type TestStack } from './stack';

/** A valid `JobMessage` as the gateway would publish it (contracts: libs/contracts/src/jobs.ts). */
export function jobMessage(overrides: Partial<JobMessage> = {}): JobMessage {
  return {
    schema: 1,
    request_id: randomUUID(),
    client_id: 'test-app',
    kind: 'chat',
    pool: 'gemma',
    model: 'gemma-3-4b-it',
    priority: 'normal',
    created_at: new Date().toISOString(),
    request: { model: 'gemma-3-4b-it', messages: [{ role: 'user', content: 'hello' }], max_tokens: 16 },
    ...overrides,
  };
}

/** A valid `JobEvent` for `job` (identity copied from the job). */
export function jobEvent(job: JobMessage, type: JobEventType, overrides: Partial<JobEvent> = {}): JobEvent {
  return lifecycleEvent(job, type, 1, overrides);
}

export interface Produced {
  partition: number;
  offset: string;
}

/** A plain kafkajs producer for writing raw bytes (malformed or hand-built messages) to a stack's topics. */
export class RawProducer {
  private constructor(
    private readonly stack: TestStack,
    private readonly producer: Producer,
  ) {}

  static async connect(stack: TestStack): Promise<RawProducer> {
    const producer = stack.kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    return new RawProducer(stack, producer);
  }

  /** Sends one message (acks=all) and returns where it landed. `value` objects are JSON-encoded. */
  async send(logicalTopic: string, key: string, value: string | object | null): Promise<Produced> {
    const encoded = value === null ? null : typeof value === 'string' ? value : JSON.stringify(value);
    const [meta] = await this.producer.send({ topic: this.stack.namer.topic(logicalTopic), acks: -1, messages: [{ key, value: encoded }] });
    return { partition: meta.partition, offset: meta.baseOffset ?? String(meta.offset) };
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }
}

export interface Collected<T> {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  raw: string | null;
  value: T | undefined;
  /** Message headers, decoded as UTF-8. */
  headers: Record<string, string>;
}

/**
 * Reads a stack's topic from the beginning with a fresh consumer group and keeps every record
 * (values JSON-decoded when possible), so tests can wait for what should appear there.
 */
export class TopicReader<T = unknown> {
  readonly records: Array<Collected<T>> = [];

  private constructor(private readonly consumer: Consumer) {}

  static async start<T = unknown>(stack: TestStack, logicalTopic: string): Promise<TopicReader<T>> {
    const consumer = stack.kafka.consumer({ groupId: `${stack.id}.reader.${randomBytes(4).toString('hex')}`, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
    const reader = new TopicReader<T>(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: [stack.namer.topic(logicalTopic)], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const raw = message.value?.toString('utf8') ?? null;
        let value: T | undefined;
        try {
          value = raw === null ? undefined : (JSON.parse(raw) as T);
        } catch {
          value = undefined;
        }
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = Array.isArray(v) ? v.map(String).join(',') : v.toString();
        reader.records.push({ topic: stack.namer.logical(topic), partition, offset: message.offset, key: message.key?.toString('utf8') ?? null, raw, value, headers });
      },
    });
    return reader;
  }

  /** Values (decoded) matching `pred`, once at least `count` exist. */
  async waitForValues(pred: (v: T) => boolean, what: string, count = 1, timeoutMs = 30_000): Promise<T[]> {
    return waitFor(
      async () => {
        const hits = this.records.flatMap((r) => (r.value !== undefined && pred(r.value) ? [r.value] : []));
        return hits.length >= count ? hits : null;
      },
      what,
      timeoutMs,
    );
  }

  values(pred: (v: T) => boolean = () => true): T[] {
    return this.records.flatMap((r) => (r.value !== undefined && pred(r.value) ? [r.value] : []));
  }

  stop(): Promise<void> {
    return this.consumer.disconnect();
  }
}

export type DlqReader = TopicReader<DeadLetter>;

/** The offset a stack's consumer group (logical name) has committed on one partition; -1 when none. */
export async function committedOffset(stack: TestStack, logicalGroup: string, logicalTopic: string, partition: number): Promise<number> {
  const admin = stack.kafka.admin();
  await admin.connect();
  try {
    const [topic] = await admin.fetchOffsets({ groupId: stack.namer.group(logicalGroup), topics: [stack.namer.topic(logicalTopic)] });
    const p = topic?.partitions.find((x) => x.partition === partition);
    return p ? Number(p.offset) : -1;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Every job succeeded, with one `jobs` row each and exactly one `succeeded` event each on the
 * job-events topic (one result): what "no job lost or finished twice" means in the tests.
 */
export async function expectOneResultEach(stack: TestStack, gatewayUrl: string, events: TopicReader<JobEvent>, ids: string[]): Promise<void> {
  for (const id of ids) expect((await waitTerminal(gatewayUrl, id, 60_000)).status).toBe('succeeded');
  const rows = await stack.pg.query<{ status: string }>('SELECT status FROM jobs WHERE request_id = ANY($1)', [ids]);
  expect(rows.rows).toHaveLength(ids.length);
  expect(rows.rows.every((r) => r.status === 'succeeded')).toBe(true);
  await events.waitForValues((e) => e.type === 'succeeded' && ids.includes(e.request_id), 'the succeeded events', ids.length);
  for (const id of ids) expect(events.values((e) => e.type === 'succeeded' && e.request_id === id)).toHaveLength(1);
}
