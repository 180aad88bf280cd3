import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { GatewayEnv } from '@gantry/config';
import { TERMINAL_STATUSES } from '@gantry/contracts';
import { JobUpdatesHub, type JobReply } from '@gantry/redis';
import type { Principal } from '../auth/principal';
import { ApiError, ApiErrorCode } from '../errors/api-error';
import { JobsService, type SubmittedChat } from '../jobs/jobs.service';
import type { SubmitHeaders } from '../jobs/submit-headers';
import type { ChatCompletionsDto } from './chat-completions.dto';
import type { CacheDirectives } from '../cache/cache-control';

/** How a synchronous call ended: the job's outcome, or the wait ended first. */
export type SyncOutcome = JobReply | { status: 'timeout' } | { status: 'disconnected' };

export interface SyncCall {
  requestId: string;
  rateLimitHeaders: Record<string, string>;
  /** Set for cacheable requests: answered from the response cache, or not. */
  cache?: 'hit' | 'miss';
  outcome: Promise<SyncOutcome>;
}

/** A lost pub/sub reply costs at most this much: the recorded state is read this often. */
const FALLBACK_POLL_MS = 1_000;

/**
 * The synchronous front door over the asynchronous core: the job goes through Kafka like any
 * other, and the call waits for its outcome. The worker publishes the outcome on the job's reply
 * channel once Kafka holds it, so the answer does not wait for the recorder; polling the recorded
 * state covers a reply lost in Redis.
 */
@Injectable()
export class ChatCompletionsService {
  constructor(
    private readonly jobs: JobsService,
    private readonly hub: JobUpdatesHub,
    private readonly env: GatewayEnv,
  ) {}

  /**
   * Submits the job and returns once Kafka has it; `outcome` settles when it ends. `onToken` (for
   * `stream: true`) receives the content chunks the worker streams. Aborting `signal` (the client
   * went away) cancels the job.
   */
  async start(
    body: ChatCompletionsDto,
    headers: SubmitHeaders,
    principal: Principal,
    signal: AbortSignal,
    onToken?: (index: number, delta: string) => void,
    directives: CacheDirectives = { lookup: true, store: true },
  ): Promise<SyncCall> {
    const requestId = randomUUID();
    let settle!: (o: SyncOutcome) => void;
    const outcome = new Promise<SyncOutcome>((resolve) => (settle = resolve));
    // Listening starts before the job is published, so neither the reply nor a token can be missed;
    // it runs while the job is admitted, and the publish waits for it.
    const stops: Array<() => void> = [];
    const listening = (async () => {
      stops.push(await this.hub.listenForReply(requestId, (reply) => settle(reply)));
      if (onToken) stops.push(await this.hub.listen(requestId, (u) => u.type === 'token' && onToken(u.index, u.delta)));
    })().catch(() => {
      // Nothing is queued then: the caller may simply try again.
      throw new ApiError(ApiErrorCode.QueueUnavailable, 'Live updates are unavailable (Redis), please try again later', undefined, { 'retry-after': '5' });
    });
    // Handled here too: admission may still be running when it fails.
    listening.catch(() => undefined);
    const timers: NodeJS.Timeout[] = [];
    let over = false;
    const cleanup = () => {
      over = true;
      stops.forEach((stop) => stop());
      timers.forEach(clearTimeout);
      signal.removeEventListener('abort', onAbort);
    };
    const onAbort = () => settle({ status: 'disconnected' });
    let submitted: SubmittedChat;
    try {
      const request = { ...body, max_tokens: body.max_tokens ?? body.max_completion_tokens };
      submitted = await this.jobs.submitChat(request, headers, principal, { requestId, ready: listening }, { directives, route: '/v1/chat/completions' });
    } catch (err) {
      // Refused (or not published): the listeners, once made, go too.
      await listening.catch(() => undefined);
      cleanup();
      throw err;
    }
    // A cache hit: the job is already recorded as succeeded, the answer is at hand.
    if (submitted.cached) settle({ status: 'succeeded', result: submitted.cached.result, usage: submitted.cached.usage ?? undefined });
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    timers.push(setTimeout(() => settle({ status: 'timeout' }), this.env.SYNC_TIMEOUT_SECONDS * 1000));
    const poll = () => {
      if (over) return;
      timers.push(
        setTimeout(() => {
          this.jobs.get(requestId, headers.clientId).then(
            (view) => (TERMINAL_STATUSES.has(view.status) ? settle(view as JobReply) : poll()),
            () => poll(),
          );
        }, FALLBACK_POLL_MS),
      );
    };
    poll();
    const ended = outcome.then((o) => {
      cleanup();
      // Nobody waits for the answer any more: the job should not hold a GPU for nothing.
      if (o.status === 'disconnected') this.jobs.cancel(requestId, headers.clientId).catch(() => undefined);
      return o;
    });
    return { requestId, rateLimitHeaders: submitted.rateLimitHeaders, outcome: ended, ...(submitted.cache ? { cache: submitted.cache } : {}) };
  }

  /** The error a finished call answers with when the job did not succeed. */
  errorOf(outcome: SyncOutcome, requestId: string): ApiError {
    const headers = { 'x-request-id': requestId };
    switch (outcome.status) {
      case 'failed': {
        const e = outcome.error;
        const rejected = e?.code === 'backend_rejected' && e.status !== undefined && e.status >= 400 && e.status < 500;
        return new ApiError(rejected ? ApiErrorCode.BackendRejected : ApiErrorCode.JobFailed, e?.message ?? 'the job failed', undefined, headers);
      }
      case 'expired':
        return new ApiError(ApiErrorCode.JobExpired, outcome.error?.message ?? 'the job was not started before its deadline', undefined, headers);
      case 'cancelled':
        return new ApiError(ApiErrorCode.JobCancelled, 'the job was cancelled', undefined, headers);
      case 'timeout':
      case 'disconnected':
      case 'succeeded':
        return new ApiError(ApiErrorCode.SyncTimeout, `no answer within ${this.env.SYNC_TIMEOUT_SECONDS} s; the job goes on: poll GET /api/jobs/${requestId}`, undefined, headers);
    }
  }
}
