import { Inject, Injectable, Logger } from '@nestjs/common';
import { BACKEND_MODEL, Topics, VLLM_PRIORITY, type JobEvent, type JobEventType, type JobMessage } from '@gantry/contracts';
import { backoffMs, GantryProducer, type ScheduledMessageMeta } from '@gantry/kafka';
import { BackendError } from '../backend/backend-error';
import { CircuitBreaker } from '../backend/circuit-breaker';
import { VllmClient } from '../backend/vllm.client';

export interface RunnerSettings {
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  requestTimeoutMs: number;
  sendPriority: boolean;
}
export const RUNNER_SETTINGS = Symbol('RUNNER_SETTINGS');

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });

/** Thrown when a job is interrupted before an outcome: its offset stays uncommitted and it runs again. */
export class JobInterrupted extends Error {
  constructor(requestId: string) {
    super(`job ${requestId} interrupted; it will be replayed`);
    this.name = 'JobInterrupted';
  }
}

/**
 * Runs one job against the pool's backend and publishes its lifecycle: `started`, `retrying` on
 * each transient failure, then exactly one of `succeeded` / `failed`. Returning means the outcome
 * is durably in Kafka, so the transport may commit the job's offset.
 */
@Injectable()
export class JobRunner {
  private readonly log = new Logger(JobRunner.name);
  readonly breaker = new CircuitBreaker();

  constructor(
    private readonly producer: GantryProducer,
    private readonly backend: VllmClient,
    @Inject(RUNNER_SETTINGS) private readonly settings: RunnerSettings,
  ) {}

  async run(job: JobMessage, meta: ScheduledMessageMeta): Promise<void> {
    const { signal } = meta;
    const headers = { 'x-request-id': job.request_id, ...(meta.headers.traceparent ? { traceparent: meta.headers.traceparent } : {}) };
    const emit = (type: JobEventType, attempt: number, extra: Partial<JobEvent> = {}) =>
      this.producer.publish(Topics.jobEvents, job.request_id, this.event(job, type, attempt, extra), headers);

    for (let attempt = 1; ; attempt++) {
      if (signal.aborted) throw new JobInterrupted(job.request_id);
      await emit('started', attempt, { backend: this.backend.baseUrl });
      try {
        const completion = await this.call(job, signal);
        await emit('succeeded', attempt, { result: completion, usage: completion.usage, backend: this.backend.baseUrl });
        this.log.debug({ msg: 'job succeeded', request_id: job.request_id, attempt });
        return;
      } catch (err) {
        if (!(err instanceof BackendError)) throw err;
        if (err.code === 'aborted') throw new JobInterrupted(job.request_id);
        const error = { code: err.code, message: err.message, ...(err.status ? { status: err.status } : {}) };
        if (!err.transient || attempt >= this.settings.maxAttempts) {
          const finalError = err.transient ? { ...error, message: `${err.message} (gave up after ${attempt} attempts)` } : error;
          await emit('failed', attempt, { error: finalError, backend: this.backend.baseUrl });
          this.log.warn({ msg: 'job failed', request_id: job.request_id, attempt, err: finalError });
          return;
        }
        await emit('retrying', attempt, { error, backend: this.backend.baseUrl });
        const delay = Math.max(err.retryAfterMs ?? 0, backoffMs(attempt, this.settings.retryBaseMs, this.settings.retryMaxMs));
        this.log.log({ msg: 'transient backend failure; retrying', request_id: job.request_id, attempt, delay_ms: delay, err: error });
        await sleep(delay, signal);
      }
    }
  }

  private async call(job: JobMessage, signal: AbortSignal) {
    if (!this.breaker.allow()) {
      throw new BackendError('circuit_open', `circuit open for ${this.backend.baseUrl}`, true, undefined, this.breaker.retryInMs());
    }
    try {
      const completion = await this.backend.chat(job.request, {
        model: BACKEND_MODEL[job.pool],
        priority: this.settings.sendPriority ? VLLM_PRIORITY[job.priority] : undefined,
        signal,
        timeoutMs: this.settings.requestTimeoutMs,
      });
      this.breaker.success();
      return completion;
    } catch (err) {
      if (err instanceof BackendError && err.transient) this.breaker.failure();
      else if (err instanceof BackendError && err.code === 'backend_rejected') this.breaker.success();
      else this.breaker.release();
      throw err;
    }
  }

  private event(job: JobMessage, type: JobEventType, attempt: number, extra: Partial<JobEvent>): JobEvent {
    return {
      schema: 1,
      request_id: job.request_id,
      type,
      at: new Date().toISOString(),
      client_id: job.client_id,
      pool: job.pool,
      model: job.model,
      priority: job.priority,
      kind: job.kind,
      attempt,
      ...extra,
    };
  }
}
