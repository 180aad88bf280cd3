import { Logger } from '@nestjs/common';
import type { Admin, Kafka } from 'kafkajs';
import { allTopicSpecs, type TopicSpec } from '@gantry/contracts';
import type { TopicNamer } from './kafka';

/**
 * Creates every topic of DESIGN.md §2 that does not exist yet, with its partitions and configs
 * (the broker's auto-creation is off). Safe to run any number of times.
 */
export async function ensureTopics(kafka: Kafka, namer: TopicNamer, jobPartitions: number, specs: TopicSpec[] = allTopicSpecs(jobPartitions)): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(namer.topic(s.name)));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: false,
        topics: missing.map((s) => ({
          topic: namer.topic(s.name),
          numPartitions: s.partitions,
          replicationFactor: -1,
          configEntries: Object.entries(s.configs).map(([name, value]) => ({ name, value })),
        })),
      });
      await waitForLeaders(admin, missing.map((s) => namer.topic(s.name)));
      new Logger('TopicBootstrap').log({ msg: 'created topics', topics: missing.map((s) => namer.topic(s.name)) });
    }
    return missing.map((s) => namer.topic(s.name));
  } finally {
    await admin.disconnect();
  }
}

/**
 * Waits until every partition of the new topics has a leader. kafkajs' own `waitForLeaders` gives
 * up on the transient "does not host this topic-partition" a busy broker answers right after a
 * create; here those answers just mean "not yet".
 */
async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics });
      if (meta.length === topics.length && meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new Error(`topics have no leader after ${timeoutMs} ms: ${topics.join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
