/**
 * Every Kafka topic Gantry uses, in one place (DESIGN.md §2). A published name is never changed
 * in place: a new shape gets a new `.vN` topic.
 */
export const PRIORITIES = ['high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** vLLM's `priority`: lower runs earlier. */
export const VLLM_PRIORITY: Record<Priority, number> = { high: 0, normal: 1, low: 2 };

export const POOLS = ['gemma', 'deepseek-ocr'] as const;
export type PoolName = (typeof POOLS)[number];

export const WEBHOOK_RETRY_TIERS = ['5s', '5m', '30m', '2h', '5h', '10h', '14h', '20h', '24h'] as const;

export const Topics = {
  jobs: (pool: PoolName, priority: Priority) => `gantry.jobs.${pool}.${priority}.v1` as const,
  jobEvents: 'gantry.job-events.v1',
  usage: 'gantry.usage.v1',
  webhooks: 'gantry.webhooks.v1',
  webhookRetry: (tier: (typeof WEBHOOK_RETRY_TIERS)[number]) => `gantry.webhooks.retry.${tier}.v1` as const,
  batches: 'gantry.batches.v1',
  control: 'gantry.control.v1',
  dlq: 'gantry.dlq.v1',
} as const;

export interface TopicSpec {
  name: string;
  partitions: number;
  configs: Record<string, string>;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const retention = (days: number) => ({ 'retention.ms': String(days * DAY_MS) });

/** Every topic of DESIGN.md §2 with its partitions and configs, for the bootstrap. */
export function allTopicSpecs(jobPartitions: number): TopicSpec[] {
  const specs: TopicSpec[] = [];
  for (const pool of POOLS) {
    for (const priority of PRIORITIES) {
      specs.push({ name: Topics.jobs(pool, priority), partitions: jobPartitions, configs: retention(7) });
    }
  }
  specs.push(
    { name: Topics.jobEvents, partitions: 6, configs: retention(7) },
    { name: Topics.usage, partitions: 3, configs: retention(7) },
    { name: Topics.webhooks, partitions: 3, configs: retention(7) },
    ...WEBHOOK_RETRY_TIERS.map((tier) => ({ name: Topics.webhookRetry(tier), partitions: 3, configs: retention(7) })),
    { name: Topics.batches, partitions: 3, configs: retention(7) },
    { name: Topics.control, partitions: 1, configs: { 'cleanup.policy': 'compact', 'retention.ms': '-1' } },
    { name: Topics.dlq, partitions: 3, configs: retention(30) },
  );
  return specs;
}
