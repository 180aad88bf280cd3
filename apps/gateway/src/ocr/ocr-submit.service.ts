import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  BACKEND_MODEL,
  OCR_MODE_SPECS,
  poolOfModel,
  Topics,
  type JobEvent,
  type JobMessage,
  type JobOptions,
  type JobView,
  type OcrRequest,
  type OcrResolution,
  queuedJobView,
} from '@gantry/contracts';
import { BlobStore, OcrDocumentsRepository } from '@gantry/db';
import { GantryProducer } from '@gantry/kafka';
import { JobHotStore } from '@gantry/redis';
import { SubmitAdmissionService } from '../admission/submit-admission.service';
import { DEFAULT_COMPLETION_ESTIMATE } from '../admission/token-estimate';
import type { Principal } from '../auth/principal';
import { ApiError, ApiErrorCode } from '../errors/api-error';
import { jobOptionsOf } from '../jobs/job-submit-options';
import type { SubmitHeaders } from '../jobs/submit-headers';
import { WebhookUrlPolicy } from '../webhooks/webhook-url.policy';
import { ImageSafetyService, type SafeImage, type SafePdf } from './image-safety.service';
import { OcrResolutionService } from './ocr-resolution.service';
import type { OcrUpload } from './ocr-upload';

const POOL = 'deepseek-ocr' as const;
/** Gundam's largest cost: the 1024 global view plus six 640 tiles. */
const GUNDAM_MAX_VISION_TOKENS = 256 + 6 * 100;

export interface OcrAccepted {
  requestId: string;
  resolution: OcrResolution;
  /** PDFs: how many page jobs the document became. */
  pages?: number;
  rateLimitHeaders: Record<string, string>;
}

/**
 * `POST /api/ocr` behind the controller: checks the file (ImageSafetyService), admits the job,
 * stores the bytes once (claim-check) and publishes a job that carries only their id and sha256.
 * A PDF becomes one parent job and one page job per page; the recorder finishes the parent.
 */
@Injectable()
export class OcrSubmitService {
  private readonly log = new Logger(OcrSubmitService.name);

  constructor(
    private readonly safety: ImageSafetyService,
    private readonly resolutions: OcrResolutionService,
    private readonly admission: SubmitAdmissionService,
    private readonly blobs: BlobStore,
    private readonly documents: OcrDocumentsRepository,
    private readonly producer: GantryProducer,
    private readonly hot: JobHotStore,
    private readonly webhookPolicy: WebhookUrlPolicy,
  ) {}

  async submit(upload: OcrUpload, headers: SubmitHeaders, requested: OcrResolution | undefined, principal: Principal): Promise<OcrAccepted> {
    const model = upload.model ?? BACKEND_MODEL[POOL];
    if (poolOfModel(model) !== POOL) throw new ApiError(ApiErrorCode.ModelNotFound, `Model ${model} not available`);
    if (upload.options?.webhook) await this.webhookPolicy.check(upload.options.webhook);
    const file = await this.safety.inspect(upload.bytes, upload.declaredType);

    const resolution = requested ?? this.resolutions.current();
    const requestId = randomUUID();
    const now = new Date();
    const createdAt = now.toISOString();
    const options = jobOptionsOf(upload.options ?? {}, now);
    const pages = file.kind === 'pdf' ? file.pages : 1;
    const admission = await this.admission.admit(principal, {
      requestId,
      clientId: headers.clientId,
      pool: POOL,
      model: BACKEND_MODEL[POOL],
      priority: headers.priority,
      tokens: pages * ((OCR_MODE_SPECS[resolution].visionTokens ?? GUNDAM_MAX_VISION_TOKENS) + (upload.maxTokens ?? DEFAULT_COMPLETION_ESTIMATE)),
    });
    const base: Omit<OcrRequest, 'blob'> = {
      model,
      resolution,
      resolution_source: requested ? 'header' : 'pool_default',
      prompt: upload.prompt,
      ...(upload.target !== undefined ? { target: upload.target } : {}),
      ...(upload.maxTokens !== undefined ? { max_tokens: upload.maxTokens } : {}),
    };
    try {
      if (file.kind === 'pdf') await this.queueDocument(requestId, createdAt, file, base, headers, options);
      else await this.queueImage(requestId, createdAt, file, base, headers, options);
    } catch (err) {
      admission.release();
      throw err;
    }
    return { requestId, resolution, ...(file.kind === 'pdf' ? { pages } : {}), rateLimitHeaders: admission.headers };
  }

  private async queueImage(requestId: string, createdAt: string, file: SafeImage, base: Omit<OcrRequest, 'blob'>, headers: SubmitHeaders, options: JobOptions): Promise<void> {
    const blob = await this.blobs.put(requestId, file.bytes, file.contentType);
    const job = this.job(requestId, createdAt, headers, { ...base, blob }, options);
    await this.publish([job], [], async () => this.blobs.delete(blob.id));
  }

  /**
   * The PDF is stored once; each page job points at it with its page number (the worker renders
   * the page). The document row lists the page jobs in order, so the parent's progress and result
   * can be assembled whatever order pages finish in. The webhook belongs to the parent (the job
   * the client knows); the deadlines apply to every page, since pages are what run.
   */
  private async queueDocument(parentId: string, createdAt: string, file: SafePdf, base: Omit<OcrRequest, 'blob'>, headers: SubmitHeaders, options: JobOptions): Promise<void> {
    const blob = await this.blobs.put(parentId, file.bytes, file.contentType);
    const pageIds = Array.from({ length: file.pages }, () => randomUUID());
    await this.documents.create({ request_id: parentId, client_id: headers.clientId, blob_id: blob.id, pages: file.pages, page_ids: pageIds });
    const { webhook, webhook_events_filter, ...deadlines } = options;
    const jobs = pageIds.map((id, i) => this.job(id, createdAt, headers, { ...base, blob, document: { parent_id: parentId, page: i + 1, pages: file.pages } }, deadlines));
    const accepted: JobEvent = {
      schema: 1,
      request_id: parentId,
      type: 'accepted',
      at: createdAt,
      client_id: headers.clientId,
      pool: POOL,
      model: BACKEND_MODEL[POOL],
      priority: headers.priority,
      kind: 'ocr',
      attempt: 0,
      ...(webhook ? { options: { webhook, webhook_events_filter } } : {}),
    };
    await this.publish(jobs, [accepted], async () => {
      await this.documents.delete(parentId);
      await this.blobs.delete(blob.id);
    });
    await this.seed([queuedView(accepted.request_id, createdAt, headers)]);
  }

  private job(requestId: string, createdAt: string, headers: SubmitHeaders, request: OcrRequest, options: JobOptions): JobMessage {
    return {
      schema: 1,
      request_id: requestId,
      client_id: headers.clientId,
      kind: 'ocr',
      pool: POOL,
      model: BACKEND_MODEL[POOL],
      priority: headers.priority,
      created_at: createdAt,
      request,
      ...(Object.keys(options).length ? { options } : {}),
    };
  }

  /** Publishes page jobs and events together (one produce batch); on failure undoes what was stored. */
  private async publish(jobs: JobMessage[], events: JobEvent[], undo: () => Promise<void>): Promise<void> {
    try {
      await Promise.all([
        ...jobs.map((j) => this.producer.publish(Topics.jobs(POOL, j.priority), j.request_id, j, { 'x-request-id': j.request_id })),
        ...events.map((e) => this.producer.publish(Topics.jobEvents, e.request_id, e, { 'x-request-id': e.request_id })),
      ]);
    } catch (err) {
      this.log.error({ msg: 'could not queue OCR job', request_id: jobs[0]?.request_id ?? events[0]?.request_id, err: String(err) });
      await undo().catch((e: unknown) => this.log.warn({ msg: 'stored file not removed after a failed submit; the sweep will', err: String(e) }));
      throw new ApiError(ApiErrorCode.QueueUnavailable, 'Queue is unavailable, please try again later', undefined, { 'retry-after': '5' });
    }
    await this.seed(jobs.map((j) => queuedView(j.request_id, j.created_at, { clientId: j.client_id, priority: j.priority })));
  }

  /** The job is accepted once Kafka has it; the hot copy only makes the first poll instant. */
  private async seed(views: JobView[]): Promise<void> {
    await this.hot.putMany(views).catch((err: unknown) => this.log.warn({ msg: 'hot copy not written', err: String(err) }));
  }
}

function queuedView(requestId: string, createdAt: string, headers: SubmitHeaders): JobView {
  return queuedJobView({ request_id: requestId, kind: 'ocr', pool: POOL, model: BACKEND_MODEL[POOL], priority: headers.priority, client_id: headers.clientId, created_at: createdAt });
}
