// Experiment behind the first proposal in bench/FINDINGS.md: how many acknowledged publishes per
// second GantryProducer (libs/kafka/src/producer.ts) sustains with C concurrent publishers, against
// the same producer settings with a different flush rule: "at most one produce request in flight;
// everything published meanwhile goes in the next one".
//
//   node -r ./bench/register.js bench/experiments/producer.ts [seconds=5]
//
// Concurrent publishers are what the gateway (one per open request) and the worker (two events per
// job slot) have. Uses its own topic prefix and deletes it afterwards.
import { performance } from 'node:perf_hooks';
import { Logger } from '@nestjs/common';
import { CompressionTypes, Partitioners, type Kafka, type Producer, type TopicMessages } from 'kafkajs';
import { Topics } from '@gantry/contracts';
import { createKafka, GantryProducer, type TopicNamer } from '@gantry/kafka';
import { jobMessage } from '../lib/jobs';
import { Scope } from '../lib/scope';
import { summarise } from '../lib/stats';

interface Publisher {
  publish(topic: string, key: string, value: string): Promise<void>;
  disconnect(): Promise<void>;
  requests: number;
}

/** GantryProducer as it is, counting its produce requests. */
async function current(kafka: Kafka, namer: TopicNamer): Promise<Publisher> {
  const p = new GantryProducer(kafka, namer);
  await p.connect();
  const inner = (p as unknown as { producer: Producer }).producer;
  const counter = { requests: 0 };
  const send = inner.sendBatch.bind(inner);
  inner.sendBatch = (batch) => {
    counter.requests++;
    return send(batch);
  };
  return {
    publish: (topic, key, value) => p.publish(topic as ReturnType<typeof Topics.jobs>, key, JSON.parse(value)),
    disconnect: () => p.disconnect(),
    get requests() {
      return counter.requests;
    },
  };
}

/** Same kafkajs settings; one request in flight, the next carries everything published meanwhile. */
async function coalescing(kafka: Kafka, namer: TopicNamer): Promise<Publisher> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1, retry: { retries: 6, maxRetryTime: 2000 } });
  await producer.connect();
  let pending: Array<{ topic: string; key: string; value: string; resolve: () => void; reject: (e: unknown) => void }> = [];
  let inFlight = false;
  let requests = 0;
  const flush = () => {
    if (inFlight || pending.length === 0) return;
    const batch = pending;
    pending = [];
    inFlight = true;
    requests++;
    const byTopic = new Map<string, TopicMessages>();
    for (const m of batch) {
      let tm = byTopic.get(m.topic);
      if (!tm) byTopic.set(m.topic, (tm = { topic: m.topic, messages: [] }));
      tm.messages.push({ key: m.key, value: m.value, headers: { 'content-type': 'application/json' } });
    }
    producer
      .sendBatch({ topicMessages: [...byTopic.values()], acks: -1, compression: CompressionTypes.None, timeout: 10_000 })
      .then(
        () => batch.forEach((m) => m.resolve()),
        (err: unknown) => batch.forEach((m) => m.reject(err)),
      )
      .finally(() => {
        inFlight = false;
        flush();
      });
  };
  return {
    publish: (topic, key, value) =>
      new Promise<void>((resolve, reject) => {
        pending.push({ topic: namer.topic(topic), key, value, resolve, reject });
        if (!inFlight) setImmediate(flush);
      }),
    disconnect: () => producer.disconnect(),
    get requests() {
      return requests;
    },
  };
}

async function run(name: string, pub: Publisher, concurrency: number, ms: number) {
  const topic = Topics.jobs('gemma', 'normal');
  const latencies: number[] = [];
  const end = performance.now() + ms;
  const before = pub.requests;
  const lane = async () => {
    while (performance.now() < end) {
      const job = jobMessage('normal', 'exp');
      const t = performance.now();
      await pub.publish(topic, job.request_id, JSON.stringify(job));
      latencies.push(performance.now() - t);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, lane));
  const s = (performance.now() - t0) / 1000;
  const l = summarise(latencies);
  const requests = pub.requests - before;
  return { producer: name, concurrency, publishesPerS: Math.round(latencies.length / s), p50: l.p50, p99: l.p99, produceRequests: requests, messagesPerRequest: Math.round((latencies.length / Math.max(1, requests)) * 10) / 10 };
}

async function main() {
  Logger.overrideLogger(false);
  const seconds = Number(process.argv[2] ?? 5);
  const scope = new Scope(`exp_${Date.now().toString(36)}`, 'producer', 6);
  await scope.setup();
  const kafka = createKafka({ KAFKA_BROKERS: '127.0.0.1:9092' } as never, 'bench-producer-experiment');
  const rows: unknown[] = [];
  try {
    for (const concurrency of [1, 16, 64]) {
      for (const [name, make] of [['GantryProducer (now)', current], ['one in flight + coalesce', coalescing]] as const) {
        const pub = await make(kafka, scope.namer);
        rows.push(await run(name, pub, concurrency, seconds * 1000));
        await pub.disconnect();
      }
    }
  } finally {
    await scope.cleanup();
  }
  console.table(rows);
}

void main();
