import type { DeadLetter, JobEvent, JobMessage } from './jobs';
import type { PoolName, Priority } from './topics';

/**
 * Maps each topic to its payload, so publishing the wrong payload to a topic does not compile.
 * Topics whose producers do not exist yet are added here with their payload when they land.
 */
export type TopicPayloads = { [T in `gantry.jobs.${PoolName}.${Priority}.v1`]: JobMessage } & {
  'gantry.job-events.v1': JobEvent;
  'gantry.dlq.v1': DeadLetter;
};
export type TopicName = keyof TopicPayloads;
export type PayloadOf<T extends TopicName> = TopicPayloads[T];
