import { ConfigResourceTypes } from 'kafkajs';
import { ensureTopics } from '@gantry/kafka';
import { createStack, type TestStack } from './support/stack';

/**
 * The topic bootstrap against the real broker: every topic of DESIGN.md §2 with its partitions and
 * configs (written out here from the design, not read from the code that creates them), and a
 * broker that never creates topics on its own.
 */
describe('Kafka topics (DESIGN.md §2)', () => {
  let stack: TestStack;
  beforeAll(async () => {
    // The stack bootstraps its topics with 2 job partitions; a second run must change nothing.
    stack = await createStack();
  });
  afterAll(() => stack?.stop());

  const DAY_MS = 24 * 60 * 60 * 1000;
  const expected: Array<[string, number, Record<string, string>]> = [
    ...['gemma', 'deepseek-ocr'].flatMap((pool) =>
      ['high', 'normal', 'low'].map((p): [string, number, Record<string, string>] => [`gantry.jobs.${pool}.${p}.v1`, 2, { 'retention.ms': String(7 * DAY_MS) }]),
    ),
    ['gantry.job-events.v1', 6, { 'retention.ms': String(7 * DAY_MS) }],
    ['gantry.usage.v1', 3, { 'retention.ms': String(7 * DAY_MS) }],
    ['gantry.webhooks.v1', 3, { 'retention.ms': String(7 * DAY_MS) }],
    ...['5s', '5m', '30m', '2h', '5h', '10h', '14h', '20h', '24h'].map((t): [string, number, Record<string, string>] => [`gantry.webhooks.retry.${t}.v1`, 3, { 'retention.ms': String(7 * DAY_MS) }]),
    ['gantry.batches.v1', 3, { 'retention.ms': String(7 * DAY_MS) }],
    ['gantry.control.v1', 1, { 'cleanup.policy': 'compact', 'retention.ms': '-1' }],
    ['gantry.dlq.v1', 3, { 'retention.ms': String(30 * DAY_MS) }],
  ];

  it('creates every topic with its partitions and configs, and a second bootstrap changes nothing', async () => {
    const created = await ensureTopics(stack.kafka, stack.namer, 2);
    expect(created).toEqual([]);

    const admin = stack.kafka.admin();
    await admin.connect();
    try {
      const names = expected.map(([n]) => stack.namer.topic(n));
      const listed = (await admin.listTopics()).filter((t) => t.startsWith(stack.namer.topic('')));
      expect(listed.sort()).toEqual([...names].sort());

      const { topics } = await admin.fetchTopicMetadata({ topics: names });
      const partitions = Object.fromEntries(topics.map((t) => [t.name, t.partitions.length]));
      expect(partitions).toEqual(Object.fromEntries(expected.map(([n, p]) => [stack.namer.topic(n), p])));

      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: expected.map(([n, , c]) => ({ type: ConfigResourceTypes.TOPIC, name: stack.namer.topic(n), configNames: Object.keys(c) })),
      });
      for (const [n, , configs] of expected) {
        const r = resources.find((x) => x.resourceName === stack.namer.topic(n))!;
        expect(Object.fromEntries(r.configEntries.map((e) => [e.configName, e.configValue]))).toEqual(configs);
      }
    } finally {
      await admin.disconnect();
    }
  });

  it('runs on a broker with automatic topic creation off', async () => {
    const admin = stack.kafka.admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.BROKER, name: String(cluster.brokers[0].nodeId), configNames: ['auto.create.topics.enable'] }],
      });
      expect(resources[0].configEntries[0]).toMatchObject({ configName: 'auto.create.topics.enable', configValue: 'false' });
    } finally {
      await admin.disconnect();
    }
  });
});
