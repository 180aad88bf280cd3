import { POOLS, PRIORITIES, Topics, type PoolName, type Priority } from '@gantry/contracts';
import { jobsSubmittedTotal } from '@gantry/metrics';

const JOB_TOPICS = new Map<string, { pool: PoolName; priority: Priority }>(
  POOLS.flatMap((pool) => PRIORITIES.map((priority) => [Topics.jobs(pool, priority), { pool, priority }] as const)),
);

/**
 * The gateway producer's `onDelivered` hook: counts job messages the broker acknowledged, for
 * every front door that submits through this producer (`gantry_jobs_submitted_total`).
 */
export function countSubmittedJobs(topic: string, count: number): void {
  const labels = JOB_TOPICS.get(topic);
  if (labels) jobsSubmittedTotal.inc(labels, count);
}
