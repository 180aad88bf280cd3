import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { BACKEND_MODEL, poolOfModel, lifecycleEvent, queuedJobView, STATUS_RANK, TERMINAL_STATUSES, Topics, type JobMessage, type JobOptions, type JobView } from '@gantry/contracts';
import { JobsRepository } from '@gantry/db';
import { GantryProducer } from '@gantry/kafka';
import { JobChannels, JobHotStore, type CachedAnswer, type JobUpdate, JobUpdatesHub } from '@gantry/redis';
import type { Redis } from 'ioredis';
import type { ChatSubmitDto } from './chat-submit.dto';
import { jobOptionsOf } from './job-submit-options';
import { estimateChatTokens } from '../admission/token-estimate';
import { SubmitAdmissionService } from '../admission/submit-admission.service';
import type { Principal } from '../auth/principal';
import { WebhookUrlPolicy } from '../webhooks/webhook-url.policy';

import { ApiError, ApiErrorCode } from '../errors/api-error';
import { ChatCacheService, type CacheRoute } from '../cache/chat-cache.service';
import type { CacheDirectives } from '../cache/cache-control';
import { GATEWAY_REDIS } from './gateway-redis';

export { GATEWAY_REDIS };

/** What a submit gives back; `cache` is set for cacheable requests, `cached` on a hit (the job is already `succeeded`). */
export interface SubmittedChat {
  requestId: string;
  rateLimitHeaders: Record<string, string>;
  cache?: 'hit' | 'miss';
  cached?: CachedAnswer;
}

const NO_DIRECTIVES: CacheDirectives = { lookup: true, store: true };
import type { SubmitHeaders } from './submit-headers';
import { DocumentViewService } from '../ocr/document-view.service';

/** The asynchronous core behind every front door: submit and get. */
@Injectable()
export class JobsService {
  private readonly log = new Logger(JobsService.name);

  constructor(
    private readonly producer: GantryProducer,
    private readonly hot: JobHotStore,
    private readonly jobs: JobsRepository,
    private readonly hub: JobUpdatesHub,
    @Inject(GATEWAY_REDIS) private readonly redis: Redis,
    private readonly channels: JobChannels,
    private readonly admission: SubmitAdmissionService,
    private readonly webhookPolicy: WebhookUrlPolicy,
    private readonly cache: ChatCacheService,
    @Optional() private readonly documentViews?: DocumentViewService,
  ) {}

  /**
   * Admits the job for `principal` (model allowed, pool backlog, rate limits), then answers it
   * from the response cache when it can (a hit: the job is recorded as `succeeded` at once and
   * never reaches a worker), or publishes it (acknowledged by Kafka) and seeds its hot copy.
   */
  async submitChat(
    body: ChatSubmitDto,
    headers: SubmitHeaders,
    principal: Principal,
    /** A synchronous caller: its id for the job, and what must hold before the job is published (its listeners). */
    sync?: { requestId: string; ready: Promise<unknown> },
    cacheControl: { directives: CacheDirectives; route: CacheRoute } = { directives: NO_DIRECTIVES, route: '/api/chat' },
  ): Promise<SubmittedChat> {
    const pool = poolOfModel(body.model);
    if (pool !== 'gemma') throw new ApiError(ApiErrorCode.ModelNotFound, `Model ${body.model} not available`);
    if (body.webhook) await this.webhookPolicy.check(body.webhook);
    const createdAt = new Date();
    const options: JobOptions = { ...jobOptionsOf(body, createdAt), ...(sync ? { reply: true } : {}) };
    const model = BACKEND_MODEL[pool];
    const plan = this.cache.plan({ clientId: headers.clientId, pool, model, messages: body.messages, max_tokens: body.max_tokens, temperature: body.temperature }, cacheControl.directives, cacheControl.route);
    const job: JobMessage = {
      schema: 1,
      // A synchronous caller picks the id, to listen for the outcome before the job is published.
      request_id: sync?.requestId ?? randomUUID(),
      client_id: headers.clientId,
      kind: 'chat',
      pool,
      model,
      priority: headers.priority,
      created_at: createdAt.toISOString(),
      request: { model: body.model, messages: body.messages, max_tokens: body.max_tokens, temperature: body.temperature },
      ...(Object.keys(options).length ? { options } : {}),
      ...(plan?.store ? { cache_key: plan.key } : {}),
    };
    // The lookup runs while the job is admitted; a hit is still a request, so admission decides first.
    const lookup = plan ? this.cache.lookup(plan) : Promise.resolve(null);
    const admission = await this.admission.admit(principal, {
      requestId: job.request_id,
      clientId: job.client_id,
      pool,
      model: job.model,
      priority: job.priority,
      tokens: estimateChatTokens(body.messages, body.max_tokens),
    });
    try {
      await sync?.ready;
    } catch (err) {
      admission.release();
      throw err;
    }
    const cached = await lookup;
    if (plan) this.cache.record(plan, cached !== null);
    if (cached) {
      try {
        await this.recordCacheHit(job, cached, !sync);
      } finally {
        // Finished at once: it holds no concurrency slot.
        admission.release();
      }
      return { requestId: job.request_id, rateLimitHeaders: admission.headers, cache: 'hit', cached };
    }
    try {
      await this.producer.publish(Topics.jobs(pool, job.priority), job.request_id, job, { 'x-request-id': job.request_id });
    } catch (err) {
      admission.release();
      this.log.error({ msg: 'could not queue job', request_id: job.request_id, err: String(err) });
      throw new ApiError(ApiErrorCode.QueueUnavailable, 'Queue is unavailable, please try again later', undefined, { 'retry-after': '5' });
    }
    // The job is accepted once Kafka has it; the hot copy only makes the first poll instant.
    // Skipped while Redis is unreachable (a write would wait for ioredis to give up): polls read Postgres.
    // A synchronous caller does not poll, so its answer does not wait for the write.
    if (this.redis.status === 'ready') {
      const written = this.hot.putMany([queuedJobView(job)]).catch((err: unknown) => this.log.warn({ msg: 'hot copy not written', request_id: job.request_id, err: String(err) }));
      if (!sync) await written;
    }
    return { requestId: job.request_id, rateLimitHeaders: admission.headers, ...(plan ? { cache: 'miss' as const } : {}) };
  }

  /**
   * A cache hit is a job like any other for polling, SSE, webhooks and the jobs table: one
   * `succeeded` event (result, usage, `from_cache`) goes through Kafka to the recorder, which
   * creates the row from it. It ran for no time: created, started and finished at that event.
   */
  private async recordCacheHit(job: JobMessage, cached: CachedAnswer, seedHotCopy: boolean): Promise<void> {
    const event = lifecycleEvent(job, 'succeeded', 0, { result: cached.result, ...(cached.usage ? { usage: cached.usage } : {}), from_cache: true });
    try {
      await this.producer.publish(Topics.jobEvents, job.request_id, event, { 'x-request-id': job.request_id });
    } catch (err) {
      this.log.error({ msg: 'could not record a cache hit', request_id: job.request_id, err: String(err) });
      throw new ApiError(ApiErrorCode.QueueUnavailable, 'Queue is unavailable, please try again later', undefined, { 'retry-after': '5' });
    }
    if (!seedHotCopy || this.redis.status !== 'ready') return;
    const view: JobView = {
      ...queuedJobView({ ...job, created_at: event.at }),
      status: 'succeeded',
      started_at: event.at,
      finished_at: event.at,
      result: cached.result,
      usage: cached.usage,
      timings: { queue_ms: 0, run_ms: 0, total_ms: 0 },
      ...(job.options?.webhook ? { webhook: job.options.webhook, webhook_events_filter: job.options.webhook_events_filter } : {}),
      from_cache: true,
    };
    await this.hot.putMany([view]).catch((err: unknown) => this.log.warn({ msg: 'hot copy not written', request_id: job.request_id, err: String(err) }));
  }

  /** Reads the hot copy first, Postgres second. Another client's job is reported as not found. */
  async get(requestId: string, clientId?: string): Promise<JobView> {
    const hot = this.redis.status === 'ready' ? await this.hot.get(requestId).catch(() => null) : null;
    const view = hot ?? (await this.jobs.findView(requestId));
    if (!view || (clientId !== undefined && view.client_id !== clientId)) {
      throw new ApiError(ApiErrorCode.JobNotFound, `Job ${requestId} not found`);
    }
    // A PDF's parent job shows how far its pages are.
    return this.documentViews ? this.documentViews.decorate(view) : view;
  }

  /**
   * Long-poll: returns as soon as the job changes state or finishes, or after `waitMs` with the
   * current state. Listens before reading, so a change between the two is not missed.
   */
  async wait(requestId: string, clientId: string | undefined, waitMs: number): Promise<JobView> {
    const deadline = Date.now() + waitMs;
    let signals = 0;
    let signal: () => void = () => undefined;
    // Recorded states carry the view; a worker's early `running` signal has none, so after any
    // signal the job is read again and the wait goes on until what polling returns has moved.
    const stop = await this.hub.listen(requestId, (u) => {
      if (u.type !== 'state') return;
      signals++;
      signal();
    });
    try {
      let seen = signals;
      const first = await this.get(requestId, clientId);
      const rank = STATUS_RANK[first.status];
      let view = first;
      while (!TERMINAL_STATUSES.has(view.status) && STATUS_RANK[view.status] === rank) {
        const left = deadline - Date.now();
        if (left <= 0) break;
        // A signal that came while we were reading is not lost: then read again at once.
        if (signals === seen) {
          let timer: NodeJS.Timeout | undefined;
          await new Promise<void>((resolve) => {
            signal = resolve;
            timer = setTimeout(resolve, left);
          });
          clearTimeout(timer);
        }
        seen = signals;
        view = await this.get(requestId, clientId);
      }
      return view;
    } finally {
      stop();
    }
  }

  /** Subscribes to a job's live updates, then returns its current state (see wait()). */
  async watch(requestId: string, clientId: string | undefined, listener: (u: JobUpdate) => void): Promise<{ view: JobView; stop: () => void }> {
    const stop = await this.hub.listen(requestId, listener);
    try {
      return { view: await this.get(requestId, clientId), stop };
    } catch (err) {
      stop();
      throw err;
    }
  }

  /**
   * Cancels a job that has not finished. Every worker learns it (marker + broadcast): a queued job
   * is skipped when dequeued, a running one has its upstream request aborted. A queued job is
   * marked cancelled at once, so the answer holds even if no worker is running. A PDF's parent
   * passes the cancel on to its page jobs.
   */
  async cancel(requestId: string, clientId: string | undefined): Promise<JobView> {
    const view = await this.get(requestId, clientId);
    if (TERMINAL_STATUSES.has(view.status)) {
      throw new ApiError(ApiErrorCode.JobNotCancellable, `Job ${requestId} already finished (${view.status})`);
    }
    // A PDF's parent never runs itself: cancelling it cancels its pages, and the recorder ends the
    // parent `cancelled` once they have all stopped (pages already read keep their results).
    const pages = view.kind === 'ocr' && this.documentViews ? await this.documentViews.pageIdsOf(requestId) : [];
    const ids = [requestId, ...pages];
    const markers = this.redis.pipeline();
    for (const id of ids) markers.set(JobChannels.cancelKey(id), '1', 'EX', JobChannels.CANCEL_MARKER_TTL_SECONDS);
    await markers.exec();
    await Promise.all(ids.map((id) => this.redis.publish(this.channels.cancel, id)));
    if (view.status === 'queued') {
      const options = view.webhook ? { webhook: view.webhook, webhook_events_filter: view.webhook_events_filter } : undefined;
      const event = lifecycleEvent({ ...view, options }, 'cancelled', view.attempts, {
        error: { code: 'cancelled', message: 'cancelled before it started' },
      });
      await this.producer.publish(Topics.jobEvents, requestId, event, { 'x-request-id': requestId });
    }
    return view;
  }
}
