import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { CompressionTypes, Partitioners, type Message, type Producer } from 'kafkajs';
import { BACKEND_MODEL, Topics, type ChatRequest, type JobMessage, type Priority } from '@gantry/contracts';
import type { Scope } from './scope';

/** The chat request every scenario sends: small, like a typical interactive prompt. */
export const CHAT_REQUEST: ChatRequest = {
  model: 'gemma-3-4b-it',
  messages: [{ role: 'user', content: 'Summarise the plot of Hamlet in one sentence.' }],
  max_tokens: 16,
};

/** The same request as the simulator receives it from a worker (the baseline's body). */
export const DIRECT_SIM_BODY = JSON.stringify({ model: BACKEND_MODEL.gemma, messages: CHAT_REQUEST.messages, max_tokens: 16, stream: false });

/** A job message exactly as the gateway publishes it (libs/contracts JobMessage). */
export function jobMessage(priority: Priority, clientId: string, createdAt = new Date()): JobMessage {
  return {
    schema: 1,
    request_id: randomUUID(),
    client_id: clientId,
    kind: 'chat',
    pool: 'gemma',
    model: BACKEND_MODEL.gemma,
    priority,
    created_at: createdAt.toISOString(),
    request: CHAT_REQUEST,
  };
}

function record(job: JobMessage): Message {
  return { key: job.request_id, value: JSON.stringify(job), headers: { 'content-type': 'application/json', 'x-request-id': job.request_id } };
}

/**
 * Writes job messages straight to the job topics (no gateway), for backlogs and paced arrivals.
 * Same partitioner and key as the gateway's producer, so jobs land where the gateway would put them.
 */
export class JobFeeder {
  private producer?: Producer;

  constructor(
    private readonly scope: Scope,
    private readonly clientId = MEASURED_CLIENT,
  ) {}

  private async connected(): Promise<Producer> {
    if (!this.producer) {
      this.producer = this.scope.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
      await this.producer.connect();
    }
    return this.producer;
  }

  /** `count` jobs of `priority` in large batches, several in flight; returns messages per second. */
  async backlog(count: number, priority: Priority = 'normal', onProgress?: (done: number) => void): Promise<number> {
    const producer = await this.connected();
    const topic = this.scope.namer.topic(Topics.jobs('gemma', priority));
    const batchSize = 5_000;
    const parallel = 3;
    const t0 = performance.now();
    let next = 0;
    let done = 0;
    const lane = async () => {
      while (next < count) {
        const n = Math.min(batchSize, count - next);
        next += n;
        const now = new Date();
        const messages = Array.from({ length: n }, () => record(jobMessage(priority, this.clientId, now)));
        await producer.send({ topic, messages, acks: 1, compression: CompressionTypes.None, timeout: 60_000 });
        done += n;
        onProgress?.(done);
      }
    };
    await Promise.all(Array.from({ length: parallel }, lane));
    return (count * 1000) / (performance.now() - t0);
  }

  /**
   * Open-loop arrivals at `rate` jobs/s for `durationMs`, each job stamped with its send time;
   * `pick(i)` chooses each job's priority. Sends what is due every 10 ms.
   */
  async paced(rate: number, durationMs: number, pick: (i: number) => Priority): Promise<{ sent: number; byPriority: Record<Priority, number> }> {
    const producer = await this.connected();
    const total = Math.round((rate * durationMs) / 1000);
    const byPriority: Record<Priority, number> = { high: 0, normal: 0, low: 0 };
    const t0 = performance.now();
    const inFlight = new Set<Promise<unknown>>();
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - t0) * rate) / 1000) + 1);
      if (due > sent) {
        const byTopic = new Map<string, Message[]>();
        const now = new Date();
        for (; sent < due; sent++) {
          const priority = pick(sent);
          byPriority[priority]++;
          const topic = this.scope.namer.topic(Topics.jobs('gemma', priority));
          if (!byTopic.has(topic)) byTopic.set(topic, []);
          byTopic.get(topic)!.push(record(jobMessage(priority, this.clientId, now)));
        }
        const p = producer.sendBatch({ topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })), acks: 1 });
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.all(inFlight);
    return { sent, byPriority };
  }

  async close(): Promise<void> {
    await this.producer?.disconnect();
  }
}

export const WARMUP_CLIENT = 'bench-warmup';
export const MEASURED_CLIENT = 'bench-feeder';

/**
 * Runs `count` jobs through the worker (and recorder) and waits until they succeeded, so the
 * measured part meets warm processes (JIT-compiled code, open connections), as production does.
 * Their rows carry client_id bench-warmup; measured jobs carry bench-feeder.
 */
export async function warmUp(scope: Scope, count: number, timeoutMs = 120_000): Promise<void> {
  const doneSql = `SELECT count(*) AS n FROM jobs WHERE client_id = $1 AND status = 'succeeded'`;
  const target = (await scope.count(doneSql, [WARMUP_CLIENT])) + count;
  const feeder = new JobFeeder(scope, WARMUP_CLIENT);
  try {
    await feeder.backlog(count, 'normal');
  } finally {
    await feeder.close();
  }
  const deadline = Date.now() + timeoutMs;
  while ((await scope.count(doneSql, [WARMUP_CLIENT])) < target) {
    if (Date.now() > deadline) throw new Error(`warm-up: ${count} jobs did not finish within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
