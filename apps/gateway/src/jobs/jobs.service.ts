import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { BACKEND_MODEL, poolOfModel, Topics, type ChatRequest, type JobMessage, type JobView } from '@gantry/contracts';
import { JobsRepository } from '@gantry/db';
import { GantryProducer } from '@gantry/kafka';
import { JobHotStore } from '@gantry/redis';
import { ApiError, ApiErrorCode } from '../errors/api-error';
import type { SubmitHeaders } from './submit-headers';

/** The asynchronous core behind every front door: submit and get. */
@Injectable()
export class JobsService {
  private readonly log = new Logger(JobsService.name);

  constructor(
    private readonly producer: GantryProducer,
    private readonly hot: JobHotStore,
    private readonly jobs: JobsRepository,
  ) {}

  /** Publishes the job (acknowledged by Kafka) and seeds its hot copy; returns the request id. */
  async submitChat(body: ChatRequest, headers: SubmitHeaders): Promise<string> {
    const pool = poolOfModel(body.model);
    if (pool !== 'gemma') throw new ApiError(ApiErrorCode.ModelNotFound, `Model ${body.model} not available`);
    const job: JobMessage = {
      schema: 1,
      request_id: randomUUID(),
      client_id: headers.clientId,
      kind: 'chat',
      pool,
      model: BACKEND_MODEL[pool],
      priority: headers.priority,
      created_at: new Date().toISOString(),
      request: { model: body.model, messages: body.messages, max_tokens: body.max_tokens, temperature: body.temperature },
    };
    try {
      await this.producer.publish(Topics.jobs(pool, job.priority), job.request_id, job, { 'x-request-id': job.request_id });
    } catch (err) {
      this.log.error({ msg: 'could not queue job', request_id: job.request_id, err: String(err) });
      throw new ApiError(ApiErrorCode.QueueUnavailable, 'Queue is unavailable, please try again later', undefined, { 'retry-after': '5' });
    }
    // The job is accepted once Kafka has it; the hot copy only makes the first poll instant.
    await this.hot.putMany([queuedView(job)]).catch((err: unknown) => this.log.warn({ msg: 'hot copy not written', request_id: job.request_id, err: String(err) }));
    return job.request_id;
  }

  /** Reads the hot copy first, Postgres second. Another client's job is reported as not found. */
  async get(requestId: string, clientId?: string): Promise<JobView> {
    const view = (await this.hot.get(requestId).catch(() => null)) ?? (await this.jobs.findView(requestId));
    if (!view || (clientId !== undefined && view.client_id !== clientId)) {
      throw new ApiError(ApiErrorCode.JobNotFound, `Job ${requestId} not found`);
    }
    return view;
  }
}

function queuedView(job: JobMessage): JobView {
  return {
    request_id: job.request_id,
    status: 'queued',
    kind: job.kind,
    model: job.model,
    priority: job.priority,
    client_id: job.client_id,
    attempts: 0,
    created_at: job.created_at,
    started_at: null,
    finished_at: null,
    result: null,
    usage: null,
    error: null,
    timings: { queue_ms: null, run_ms: null, total_ms: null },
  };
}
