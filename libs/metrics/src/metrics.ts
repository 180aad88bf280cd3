import { counter, gauge, histogram } from './registry';
import { lagSamples, schedulerSnapshots } from './sources';

/**
 * Every metric Gantry exports, defined once per process. Names follow Prometheus conventions
 * (`_total` counters, `_seconds` durations); `api_gateway_requests_total` keeps the shape of the
 * reference gateway (reference/003). Labels are bounded sets: route patterns, pool names,
 * priorities, statuses — never raw URLs, request ids or client-supplied model names.
 */

// Seconds; LLM jobs range from tens of milliseconds (cached, short) to minutes (long generations).
const JOB_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export const httpRequestsTotal = counter({
  name: 'api_gateway_requests_total',
  help: 'Total number of API requests',
  labelNames: ['method', 'endpoint', 'status', 'vendor', 'model'] as const,
});

export const httpRequestDuration = histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP request duration, from the request arriving to the response being sent',
  labelNames: ['method', 'endpoint', 'status'] as const,
  buckets: HTTP_BUCKETS,
});

export const jobsSubmittedTotal = counter({
  name: 'gantry_jobs_submitted_total',
  help: 'Jobs accepted by Kafka for a pool (acknowledged job messages)',
  labelNames: ['pool', 'priority'] as const,
});

export const jobsFinishedTotal = counter({
  name: 'gantry_jobs_finished_total',
  help: 'Jobs a worker finished, by outcome (succeeded or failed)',
  labelNames: ['pool', 'priority', 'status'] as const,
});

export const jobQueueWaitSeconds = histogram({
  name: 'gantry_job_queue_wait_seconds',
  help: 'Time from submit to the first start of a job',
  labelNames: ['pool', 'priority'] as const,
  buckets: JOB_BUCKETS,
});

export const jobRunSeconds = histogram({
  name: 'gantry_job_run_seconds',
  help: 'Time from the first start of a job to its outcome (retries included)',
  labelNames: ['pool', 'priority', 'status'] as const,
  buckets: JOB_BUCKETS,
});

export const jobEndToEndSeconds = histogram({
  name: 'gantry_job_end_to_end_seconds',
  help: 'Time from submit to the outcome of a job',
  labelNames: ['pool', 'priority', 'status'] as const,
  buckets: JOB_BUCKETS,
});

export const jobRetriesTotal = counter({
  name: 'gantry_job_retries_total',
  help: 'Backend attempts that failed transiently and were retried, by error code',
  labelNames: ['pool', 'code'] as const,
});

export const deadLettersTotal = counter({
  name: 'gantry_dead_letters_total',
  help: 'Messages sent to the dead-letter topic, by consumer group and source topic',
  labelNames: ['group', 'topic'] as const,
});

export const tokensTotal = counter({
  name: 'gantry_tokens_total',
  help: 'Tokens processed by the backends of a pool (type: prompt or completion)',
  labelNames: ['pool', 'type'] as const,
});

export const workerInFlight = gauge({
  name: 'gantry_worker_in_flight',
  help: 'Jobs running in this process’s workers, by pool',
  labelNames: ['pool'] as const,
  collect() {
    this.reset();
    const byPool = new Map<string, number>();
    for (const { pool, stats } of schedulerSnapshots()) byPool.set(pool, (byPool.get(pool) ?? 0) + stats.inFlight);
    for (const [pool, n] of byPool) this.set({ pool }, n);
  },
});

export const workerWaiting = gauge({
  name: 'gantry_worker_waiting',
  help: 'Jobs fetched by this process’s workers and waiting for a slot, by pool and priority',
  labelNames: ['pool', 'priority'] as const,
  collect() {
    this.reset();
    const sums = new Map<string, { pool: string; priority: string; n: number }>();
    for (const { pool, stats } of schedulerSnapshots()) {
      for (const [priority, n] of Object.entries(stats.waiting)) {
        const key = `${pool}\u0000${priority}`;
        const cur = sums.get(key) ?? { pool, priority, n: 0 };
        cur.n += n;
        sums.set(key, cur);
      }
    }
    for (const { pool, priority, n } of sums.values()) this.set({ pool, priority }, n);
  },
});

export const kafkaConsumerLag = gauge({
  name: 'gantry_kafka_consumer_lag',
  help: 'Messages not yet committed by a consumer group (end offset minus committed offset), per topic',
  labelNames: ['group', 'topic'] as const,
  async collect() {
    const samples = await lagSamples();
    this.reset();
    const sums = new Map<string, { group: string; topic: string; lag: number }>();
    for (const s of samples) {
      const key = `${s.group}\u0000${s.topic}`;
      const cur = sums.get(key) ?? { group: s.group, topic: s.topic, lag: 0 };
      cur.lag += s.lag;
      sums.set(key, cur);
    }
    for (const { group, topic, lag } of sums.values()) this.set({ group, topic }, lag);
  },
});

// gantry_cache_hits_total belongs here once the response cache exists (it is not built); an
// always-zero metric for a missing feature would only mislead.

export const webhookDeliveriesTotal = counter({
  name: 'gantry_webhook_deliveries_total',
  help: 'Webhook delivery attempts by outcome (delivered, retrying, failed, endpoint_disabled, skipped)',
  labelNames: ['outcome'] as const,
});
