import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { BACKEND_MODEL, isChatJob, isOcrJob, Topics, VLLM_PRIORITY, type JobEvent, type JobEventType, type JobMessage, lifecycleEvent } from '@gantry/contracts';
import { errorStack, RateGate } from '@gantry/common';
import { backoffMs, GantryProducer, type ScheduledMessageMeta } from '@gantry/kafka';
import { JobChannels, ResponseCache, type JobReply } from '@gantry/redis';
import type { Redis } from 'ioredis';
import { BackendError } from '../backend/backend-error';
import { CircuitBreaker } from '../backend/circuit-breaker';
import { VllmClient } from '../backend/vllm.client';
import { OcrExecutor } from '../ocr/ocr-executor';
import { JobMetrics } from './job-metrics';

export interface RunnerSettings {
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  requestTimeoutMs: number;
  sendPriority: boolean;
  /** How long an answer stored in the response cache is kept (jobs with a `cache_key`). */
  cacheTtlSeconds: number;
}
export const RUNNER_SETTINGS = Symbol('RUNNER_SETTINGS');
export const WORKER_REDIS = Symbol('WORKER_REDIS');

/** Abort reason used when a client cancels a running job (the signal's `reason`). */
export const CANCELLED = 'cancelled';

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

/** Store failures of the response cache are logged at most this often (Redis down is a burst of them). */
const CACHE_WARN_EVERY_MS = 10_000;

/** How long a job whose last attempt lost its connection waits for its server's supervisor to abort it. */
const SERVER_DOWN_GRACE_MS = 250;

/** Whether `signal` aborts within `ms`. */
const aborted = async (signal: AbortSignal, ms: number) => (await sleep(ms, signal), signal.aborted);

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
  private readonly cache: ResponseCache;
  private readonly cacheWarnGate = new RateGate(CACHE_WARN_EVERY_MS);

  constructor(
    private readonly producer: GantryProducer,
    private readonly backend: VllmClient,
    @Inject(RUNNER_SETTINGS) private readonly settings: RunnerSettings,
    @Inject(WORKER_REDIS) private readonly redis: Redis,
    private readonly channels: JobChannels,
    /** Present on OCR pools: runs `ocr` jobs (retries, events and the breaker stay here). */
    @Optional() private readonly ocr?: OcrExecutor,
  ) {
    this.cache = new ResponseCache(redis);
  }

  async run(job: JobMessage, meta: ScheduledMessageMeta): Promise<void> {
    const { signal } = meta;
    const headers = { 'x-request-id': job.request_id, ...(meta.headers.traceparent ? { traceparent: meta.headers.traceparent } : {}) };
    const metrics = new JobMetrics(job);
    const emit = (type: JobEventType, attempt: number, extra: Partial<JobEvent> = {}) =>
      this.producer.publish(Topics.jobEvents, job.request_id, this.event(job, type, attempt, extra), headers).then(() => {
        metrics.observe(type, extra);
        // Before the reply: on the same connection, so a caller that got the answer finds the entry.
        if (type === 'succeeded' && job.cache_key) this.store(job, extra);
        if (job.options?.reply) this.reply(job.request_id, type, extra);
      });

    // A job past its queue deadline, or cancelled while queued, never reaches the backend.
    const deadline = job.options?.deadline_at;
    if (deadline && Date.parse(deadline) <= Date.now()) {
      await emit('expired', 0, { error: { code: 'expired', message: `not started before its deadline ${deadline}` } });
      return;
    }
    // Both Redis questions go out together (one pipelined write), not one round trip after the other.
    const watched = this.watched(job);
    // Redis unreachable: the marker cannot be read and the job runs (issue 6: no job is lost to a Redis outage).
    const cancelled = this.redis.status === 'ready' && (await this.redis.exists(JobChannels.cancelKey(job.request_id)).catch(() => 0));
    if (cancelled) {
      await emit('cancelled', 0, { error: { code: 'cancelled', message: 'cancelled before it started' } });
      return;
    }

    const budgetMs = job.options?.execution_timeout_ms;
    const runDeadline = budgetMs ? Date.now() + budgetMs : Infinity;
    for (let attempt = 1; ; attempt++) {
      if (signal.aborted) return this.interrupted(job, signal, attempt - 1, emit);
      // The backend call does not wait for the `started` ack (a broker round trip per job with the
      // engine idle); it is awaited before the outcome, so the events stay in order.
      const started = emit('started', attempt, { backend: this.backend.baseUrl });
      started.catch(() => undefined);
      try {
        const remaining = runDeadline - Date.now();
        if (remaining <= 0) throw new BackendError('backend_timeout', 'execution timeout', false);
        const completion = await this.call(job, signal, Math.min(this.settings.requestTimeoutMs, remaining), await watched);
        meta.releaseSlot?.();
        // Not after the `started` ack: one producer keeps the two in order on the job's partition,
        // and the recorder is forward-only if a retried `started` lands late. A lost `started`
        // (broker blip) is sent again rather than throwing the answer away.
        const succeeded = emit('succeeded', attempt, { result: completion, usage: completion.usage, backend: this.backend.baseUrl });
        await Promise.all([started.catch(() => emit('started', attempt, { backend: this.backend.baseUrl })), succeeded]);
        this.log.debug({ msg: 'job succeeded', request_id: job.request_id, attempt });
        return;
      } catch (err) {
        // Anything else is unexpected: the transport retries it, then dead-letters it with its stack.
        if (!(err instanceof BackendError)) throw err;
        if (err.code === 'aborted') return this.interrupted(job, signal, attempt, emit);
        await started.catch(() => emit('started', attempt, { backend: this.backend.baseUrl }));
        if (err.code === 'backend_timeout' && Date.now() >= runDeadline) {
          const error = { code: 'execution_timeout', message: `did not finish within its execution_timeout of ${budgetMs} ms` };
          await emit('failed', attempt, { error, backend: this.backend.baseUrl });
          return;
        }
        const error = { code: err.code, message: err.message, ...(err.status ? { status: err.status } : {}) };
        // A reset connection is often the model server dying; its supervisor (process driver)
        // then aborts the job back to the queue. Give it a moment before a final failure.
        if (err.transient && attempt >= this.settings.maxAttempts && (await aborted(signal, SERVER_DOWN_GRACE_MS))) {
          return this.interrupted(job, signal, attempt, emit);
        }
        if (!err.transient || attempt >= this.settings.maxAttempts) {
          const finalError = err.transient ? { ...error, message: `${err.message} (gave up after ${attempt} attempts)` } : error;
          // Only failures inside the worker carry a stack; a backend's answer has none worth keeping.
          const stack = err.internal ? errorStack(err) : undefined;
          await emit('failed', attempt, { error: finalError, backend: this.backend.baseUrl, ...(stack ? { error_stack: stack } : {}) });
          this.log.warn({ msg: 'job failed', request_id: job.request_id, attempt, err: finalError });
          return;
        }
        const delay = Math.max(err.retryAfterMs ?? 0, backoffMs(attempt, this.settings.retryBaseMs, this.settings.retryMaxMs));
        // The wait comes before the `retrying` event: a job aborted meanwhile (its server died,
        // the pool was stopped) goes back to the queue without a retry counted against it.
        await sleep(delay, signal);
        if (signal.aborted) return this.interrupted(job, signal, attempt, emit);
        await emit('retrying', attempt, { error, backend: this.backend.baseUrl });
        this.log.log({ msg: 'transient backend failure; retrying', request_id: job.request_id, attempt, delay_ms: delay, err: error });
      }
    }
  }

  /** Cancelled by the client: a terminal outcome. Anything else (shutdown, forced stop): run it again later. */
  private async interrupted(job: JobMessage, signal: AbortSignal, attempt: number, emit: (type: JobEventType, attempt: number, extra?: Partial<JobEvent>) => Promise<void>): Promise<void> {
    if (signal.reason !== CANCELLED) throw new JobInterrupted(job.request_id);
    await emit('cancelled', attempt, { error: { code: 'cancelled', message: 'cancelled while running; the upstream request was aborted' } });
  }

  /** Whether someone watches the job's live updates (SSE on any gateway replica): only then are tokens streamed. */
  private async watched(job: JobMessage): Promise<boolean> {
    if (!isChatJob(job) || this.redis.status !== 'ready') return false;
    const channel = this.channels.job(job.request_id);
    const [, watchers] = (await this.redis.call('PUBSUB', 'NUMSUB', channel).catch(() => [channel, 0])) as [string, number];
    return Number(watchers) > 0;
  }

  private async call(job: JobMessage, signal: AbortSignal, timeoutMs: number, watched: boolean) {
    if (!this.breaker.allow()) {
      throw new BackendError('circuit_open', `circuit open for ${this.backend.baseUrl}`, true, undefined, this.breaker.retryInMs());
    }
    const opts = {
      model: BACKEND_MODEL[job.pool],
      priority: this.settings.sendPriority ? VLLM_PRIORITY[job.priority] : undefined,
      signal,
      timeoutMs,
    };
    try {
      if (isOcrJob(job)) {
        if (!this.ocr) throw BackendError.internal('invalid_input', `pool ${job.pool} does not run OCR jobs`, false);
        const result = await this.ocr.execute(job, opts);
        this.breaker.success();
        return result;
      }
      if (!isChatJob(job)) throw BackendError.internal('invalid_input', `unknown job kind ${String(job.kind)}`, false);
      // Stream tokens only when someone watches the job: no cost otherwise.
      const channel = this.channels.job(job.request_id);
      let completion;
      if (watched) {
        void this.redis.publish(channel, JSON.stringify({ type: 'state', status: 'running' }));
        completion = await this.backend.chatStream(job.request, opts, (delta, index) => {
          void this.redis.publish(channel, JSON.stringify({ type: 'token', index, delta }));
        });
      } else {
        completion = await this.backend.chat(job.request, opts);
      }
      this.breaker.success();
      return completion;
    } catch (err) {
      if (err instanceof BackendError && err.transient) this.breaker.failure();
      else if (err instanceof BackendError && err.code === 'backend_rejected') this.breaker.success();
      else this.breaker.release();
      throw err;
    }
  }

  /**
   * Fills the response cache once Kafka holds the answer. Not awaited (the outcome does not wait
   * for it) and best-effort: with Redis unreachable the next identical request is a miss.
   */
  private store(job: JobMessage, extra: Partial<JobEvent>): void {
    const key = job.cache_key!;
    const failed = (err: unknown) => {
      if (!this.cacheWarnGate.open()) return;
      this.log.warn({ msg: 'response cache entry not stored', request_id: job.request_id, err: String(err) });
    };
    if (this.redis.status !== 'ready') return failed(new Error(`Redis connection is ${this.redis.status}`));
    this.cache.put(key, { result: extra.result, usage: extra.usage ?? null }, this.settings.cacheTtlSeconds).catch(failed);
  }

  /** A caller waits on a gateway: it gets the outcome Kafka now holds without waiting for the recorder. */
  private reply(requestId: string, type: JobEventType, extra: Partial<JobEvent>): void {
    if (type !== 'succeeded' && type !== 'failed' && type !== 'cancelled' && type !== 'expired') return;
    if (this.redis.status !== 'ready') return; // the gateway falls back to the recorded state
    const reply: JobReply = { status: type, ...(extra.result ? { result: extra.result } : {}), ...(extra.usage ? { usage: extra.usage } : {}), ...(extra.error ? { error: extra.error } : {}) };
    this.redis.publish(this.channels.reply(requestId), JSON.stringify(reply)).catch(() => undefined);
  }

  private event(job: JobMessage, type: JobEventType, attempt: number, extra: Partial<JobEvent>): JobEvent {
    const parent = isOcrJob(job) && job.request.document ? { parent_id: job.request.document.parent_id } : {};
    return lifecycleEvent(job, type, attempt, { ...parent, ...extra });
  }

}
