import { Logger } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
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
        waitForLeaders: true,
        topics: missing.map((s) => ({
          topic: namer.topic(s.name),
          numPartitions: s.partitions,
          replicationFactor: -1,
          configEntries: Object.entries(s.configs).map(([name, value]) => ({ name, value })),
        })),
      });
      new Logger('TopicBootstrap').log({ msg: 'created topics', topics: missing.map((s) => namer.topic(s.name)) });
    }
    return missing.map((s) => namer.topic(s.name));
  } finally {
    await admin.disconnect();
  }
}
