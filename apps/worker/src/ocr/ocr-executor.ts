import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { OcrJobMessage, OcrRequest, OcrResult } from '@gantry/contracts';
import { BlobStore } from '@gantry/db';
import { PoolControlReader } from '@gantry/kafka';
import { PdfEngine, PdfError } from '@gantry/media';
import { BackendError } from '../backend/backend-error';
import { OcrBackend } from './ocr-backend';
import { imageSize } from './ocr-image';

export interface OcrSettings {
  /** DPI PDF pages are rendered at. */
  pdfDpi: number;
}
export const OCR_SETTINGS = Symbol('OCR_SETTINGS');

/** Rendered pages never exceed this many pixels on their longest side. */
const PDF_MAX_SIDE = 4000;

/**
 * Runs one OCR job: fetches the claim-checked bytes and checks their digest, renders the page
 * when the job is one page of a PDF, and asks the pool's engine. Failures are BackendErrors, so
 * the JobRunner's retries, events and circuit breaker apply as for chat.
 */
@Injectable()
export class OcrExecutor {
  private readonly log = new Logger(OcrExecutor.name);
  /** The last PDFs read: the pages of one document usually arrive together. */
  private readonly pdfCache = new Map<string, Buffer>();

  constructor(
    private readonly blobs: BlobStore,
    private readonly backend: OcrBackend,
    private readonly pdf: PdfEngine,
    @Inject(OCR_SETTINGS) private readonly settings: OcrSettings,
    @Optional() private readonly control?: PoolControlReader,
  ) {}

  get location(): string {
    return this.backend.location;
  }

  async execute(job: OcrJobMessage, opts: { priority?: number; signal: AbortSignal; timeoutMs: number }): Promise<OcrResult> {
    const request = this.effectiveRequest(job);
    const bytes = await this.load(request);
    let image = bytes;
    let size: { width: number; height: number };
    if (request.document) {
      const page = await this.renderPage(bytes, request);
      image = page.png;
      size = page;
    } else {
      try {
        size = await imageSize(bytes);
      } catch (err) {
        throw BackendError.internal('invalid_input', `stored image cannot be read: ${err instanceof Error ? err.message : String(err)}`, false, err);
      }
    }
    const out = await this.backend.recognize({ image, ...size, request, priority: opts.priority, signal: opts.signal, timeoutMs: opts.timeoutMs });
    return {
      object: 'ocr.result',
      model: out.model,
      backend: this.backend.name,
      resolution: request.resolution,
      prompt: request.prompt,
      text: out.text,
      blocks: out.blocks,
      width: size.width,
      height: size.height,
      ...(request.document ? { page: request.document.page } : {}),
      ...(out.raw !== undefined ? { raw: out.raw } : {}),
      ...(out.usage ? { usage: out.usage } : {}),
    };
  }

  /**
   * A non-graceful resolution switch also moves queued jobs that took the pool default before it;
   * a job whose client chose its resolution always keeps it.
   */
  private effectiveRequest(job: OcrJobMessage): OcrRequest {
    const request = job.request;
    const state = this.control?.get(job.pool);
    const forced = state?.forced_resolution;
    if (request.resolution_source !== 'pool_default' || !forced || !state.resolution_applies_from) return request;
    if (job.created_at >= state.resolution_applies_from || forced === request.resolution) return request;
    this.log.debug({ msg: 'resolution switched for a queued job', request_id: job.request_id, from: request.resolution, to: forced });
    return { ...request, resolution: forced };
  }

  private async load(request: OcrRequest): Promise<Buffer> {
    const { blob } = request;
    const cached = this.pdfCache.get(blob.id);
    if (cached) return cached;
    let bytes: Buffer | null;
    try {
      bytes = await this.blobs.get(blob.id);
    } catch (err) {
      throw BackendError.internal('backend_error', `blob store unavailable: ${err instanceof Error ? err.message : String(err)}`, true, err);
    }
    if (!bytes) throw BackendError.internal('invalid_input', `blob ${blob.id} is gone (retention) or was never stored`, false);
    if (createHash('sha256').update(bytes).digest('hex') !== blob.sha256) {
      throw BackendError.internal('invalid_input', `blob ${blob.id} does not match its sha256`, false);
    }
    if (request.document) {
      this.pdfCache.set(blob.id, bytes);
      if (this.pdfCache.size > 2) this.pdfCache.delete(this.pdfCache.keys().next().value!);
    }
    return bytes;
  }

  private async renderPage(bytes: Buffer, request: OcrRequest) {
    try {
      return await this.pdf.render(bytes, { key: request.blob.id, page: request.document!.page, dpi: this.settings.pdfDpi, maxSide: PDF_MAX_SIDE });
    } catch (err) {
      if (err instanceof PdfError && err.code === 'invalid_pdf') throw BackendError.internal('invalid_input', `page ${request.document!.page} cannot be rendered: ${err.message}`, false, err);
      throw BackendError.internal('backend_error', `PDF engine: ${err instanceof Error ? err.message : String(err)}`, true, err);
    }
  }
}
