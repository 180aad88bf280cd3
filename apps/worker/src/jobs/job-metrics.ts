import type { JobEvent, JobEventType, JobMessage } from '@gantry/contracts';
import { jobEndToEndSeconds, jobQueueWaitSeconds, jobRetriesTotal, jobRunSeconds, jobsFinishedTotal, tokensTotal } from '@gantry/metrics';

const TERMINAL: ReadonlySet<JobEventType> = new Set(['succeeded', 'failed', 'cancelled', 'expired']);

/**
 * Prometheus view of one job run, fed with each lifecycle event once Kafka has it: queue wait at
 * the first start, retries, and at the outcome the finished counter, run and end-to-end
 * histograms and tokens. Times are measured from the submit time in the job message.
 */
export class JobMetrics {
  private startedAt: number | null = null;

  constructor(
    private readonly job: Pick<JobMessage, 'pool' | 'priority' | 'created_at'>,
    private readonly now: () => number = Date.now,
  ) {}

  observe(type: JobEventType, extra: Partial<JobEvent> = {}): void {
    const { pool, priority } = this.job;
    const submitted = Date.parse(this.job.created_at);
    const t = this.now();
    if (type === 'started' && this.startedAt === null) {
      this.startedAt = t;
      if (Number.isFinite(submitted)) jobQueueWaitSeconds.observe({ pool, priority }, Math.max(0, t - submitted) / 1000);
      return;
    }
    if (type === 'retrying') {
      jobRetriesTotal.inc({ pool, code: extra.error?.code ?? 'unknown' });
      return;
    }
    if (!TERMINAL.has(type)) return;
    jobsFinishedTotal.inc({ pool, priority, status: type });
    if (this.startedAt !== null) jobRunSeconds.observe({ pool, priority, status: type }, (t - this.startedAt) / 1000);
    if (Number.isFinite(submitted)) jobEndToEndSeconds.observe({ pool, priority, status: type }, Math.max(0, t - submitted) / 1000);
    const usage = extra.usage;
    if (usage) {
      if (usage.prompt_tokens > 0) tokensTotal.inc({ pool, type: 'prompt' }, usage.prompt_tokens);
      if (usage.completion_tokens > 0) tokensTotal.inc({ pool, type: 'completion' }, usage.completion_tokens);
    }
  }
}
