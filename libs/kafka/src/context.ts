import { BaseRpcContext } from '@nestjs/microservices';
import type { Priority } from '@gantry/contracts';

/** One consumed Kafka record, decoded and validated. */
export interface ConsumedMessage<T = unknown> {
  value: T;
  /** Logical topic name (without the deployment prefix). */
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  headers: Record<string, string>;
  /** Broker timestamp (ms since epoch): when the message was produced. */
  timestamp: number;
}

export interface ScheduledMessageMeta extends Omit<ConsumedMessage, 'value'> {
  priority: Priority;
  /** Aborted when the job must stop at once (forced pool stop, cancel, shutdown). */
  signal: AbortSignal;
  /** When the worker took the message into its queue. */
  enqueuedAt: number;
  /**
   * Gives the job's scheduler slot to the next job while this handler finishes its bookkeeping
   * (publishing the outcome): the backend is free once it has answered, and waiting for the
   * broker's ack would leave an engine sequence idle. The offset still completes only when the
   * handler returns, so a crash meanwhile replays the job. Optional to call; idempotent.
   */
  releaseSlot?: () => void;
}

/** Context handed to `@Ctx()` in priority-scheduled handlers. */
export class ScheduledContext extends BaseRpcContext<[ScheduledMessageMeta]> {
  get meta(): ScheduledMessageMeta {
    return this.args[0];
  }
}

/** Context handed to `@Ctx()` in batch handlers (the payload is `ConsumedMessage[]`). */
export class BatchContext extends BaseRpcContext<[{ topic: string; partition: number }]> {
  get topic(): string {
    return this.args[0].topic;
  }
  get partition(): number {
    return this.args[0].partition;
  }
}
