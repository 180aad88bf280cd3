import { Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { BATCH_ENDPOINTS, Topics, type BatchEndpoint, type Priority } from '@gantry/contracts';
import { BatchesRepository, type BatchItem, type BatchLineError, type BatchRow, type FileRow } from '@gantry/db';
import { GantryProducer } from '@gantry/kafka';
import { ApiError, ApiErrorCode } from '../errors/api-error';
import { checkLine, childRequestId, type CheckedLine } from './batch-line';
import { newFileId } from './files.service';
import { OcrLineService } from './ocr-line.service';

const LINES_PER_PAGE = 1_000;
/** A failed batch lists its first line errors on the object; every one is in its error file. */
const MAX_LISTED_ERRORS = 1_000;
const WINDOW_SECONDS: Record<string, number> = { '24h': 86_400 };

/** How a batch runs, whichever front door created it. */
export interface BatchOptions {
  endpoint: BatchEndpoint;
  completion_window: string;
  metadata: Record<string, string> | null;
  priority: Priority;
  /** `/api/batches` only: called when the batch ends. */
  webhook?: string;
}

export interface CreateBatch extends BatchOptions {
  input_file_id: string;
}

/** `/v1/batches`: validates the input file line by line, records the batch and hands it to the expander. */
@Injectable()
export class BatchesService {
  private readonly log = new Logger(BatchesService.name);

  constructor(
    private readonly repo: BatchesRepository,
    private readonly producer: GantryProducer,
    private readonly ocrLines: OcrLineService,
  ) {}

  /** `POST /v1/batches`. */
  async create(body: unknown, clientId: string): Promise<BatchRow> {
    const req = parseCreate(body);
    const file = await this.repo.findFile(req.input_file_id, clientId);
    if (!file) throw new ApiError(ApiErrorCode.FileNotFound, `No such File object: ${req.input_file_id}`);
    if (file.purpose !== 'batch') throw new ApiError(ApiErrorCode.InvalidRequest, `File ${file.id} does not have purpose batch`);
    return this.createFromFile(file, req, clientId);
  }

  /**
   * Validates the stored file line by line (one transaction: `batches` + `batch_items`), then
   * hands the batch to the expander. Shared by `/v1/batches` and `/api/batches` (which checks
   * the webhook URL before the upload is read).
   */
  async createFromFile(file: FileRow, req: BatchOptions, clientId: string): Promise<BatchRow> {
    const id = `batch_${randomBytes(16).toString('hex')}`;
    const endpoint = req.endpoint;
    await this.repo.write(async (tx) => {
      await tx.insertBatch({
        id,
        client_id: clientId,
        endpoint,
        input_file_id: file.id,
        completion_window: req.completion_window,
        priority: req.priority,
        metadata: req.metadata,
        webhook: req.webhook ?? null,
        expires_at: new Date(Date.now() + WINDOW_SECONDS[req.completion_window] * 1000),
      });
      // Only ids and hashes are kept across pages: the lines themselves stream through.
      const customIds = new Set<string>();
      const leaders = new Map<string, string>();
      const errors: BatchLineError[] = [];
      let total = 0;
      let invalid = 0;
      let lastLeaderLine = 0;
      for (let after = 0; ; ) {
        const page = await this.repo.fileLines(file.id, after, LINES_PER_PAGE);
        if (!page.length) break;
        after = page[page.length - 1].line_no;
        const items: BatchItem[] = [];
        for (const { line_no, content } of page) {
          total++;
          let checked: CheckedLine = endpoint === '/api/ocr' ? await this.ocrLines.check(content, line_no) : checkLine(content, line_no, endpoint);
          if (checked.ok && customIds.has(checked.customId)) {
            checked = { ok: false, customId: checked.customId, error: { code: 'duplicate_custom_id', message: `Line ${line_no}: custom_id ${checked.customId} is used by an earlier line`, param: 'custom_id', line: line_no } };
          }
          if (!checked.ok) {
            invalid++;
            if (errors.length < MAX_LISTED_ERRORS) errors.push(checked.error);
            items.push({ line_no, custom_id: checked.customId, request_id: null, leader: false, body: null, error: { code: checked.error.code, message: checked.error.message, line: line_no } });
            continue;
          }
          customIds.add(checked.customId);
          const leader = leaders.get(checked.hash);
          if (leader) {
            // The same request as an earlier line: it runs once, and this line shares its result.
            items.push({ line_no, custom_id: checked.customId, request_id: leader, leader: false, body: null, error: null });
          } else {
            const requestId = childRequestId(id, line_no);
            leaders.set(checked.hash, requestId);
            lastLeaderLine = line_no;
            const body = typeof checked.request === 'function' ? await checked.request(requestId) : checked.request;
            items.push({ line_no, custom_id: checked.customId, request_id: requestId, leader: true, body, error: null });
          }
        }
        await tx.addItems(id, items);
      }
      const noneValid = leaders.size === 0;
      if (noneValid) errors.unshift({ code: 'no_valid_requests', message: `The input file has no valid request line (${invalid} invalid); see the errors by line`, param: null, line: null });
      await tx.settleBatch(id, { total, invalid, uniqueRequests: leaders.size, lastLeaderLine, errors: noneValid ? errors : null });
    });
    const batch = (await this.repo.findBatch(id))!;
    if (batch.status === 'finalizing') {
      // Nothing to run: the error file is written now (the recorder's sweep would also do it).
      await this.repo.assemble(batch, { outputFileId: newFileId(), errorFileId: newFileId() });
      return (await this.repo.findBatch(id))!;
    }
    try {
      await this.producer.publish(Topics.batches, id, { schema: 1, batch_id: id, client_id: clientId }, { 'x-batch-id': id });
    } catch (err) {
      // Not handed over: the batch would never run, so it is not kept.
      await this.repo.deleteBatch(id);
      this.log.error({ msg: 'could not queue batch', batch_id: id, err: String(err) });
      throw new ApiError(ApiErrorCode.QueueUnavailable, 'Queue is unavailable, please try again later', undefined, { 'retry-after': '5' });
    }
    return batch;
  }

  async get(id: string, clientId: string | undefined): Promise<BatchRow> {
    const batch = await this.repo.findBatch(id, clientId);
    if (!batch) throw new ApiError(ApiErrorCode.BatchNotFound, `No such Batch object: ${id}`);
    return batch;
  }

  async list(clientId: string | undefined, after: string | undefined, limit: number): Promise<{ rows: BatchRow[]; hasMore: boolean }> {
    const rows = await this.repo.listBatches(clientId, after, limit + 1);
    return { rows: rows.slice(0, limit), hasMore: rows.length > limit };
  }

  /**
   * Stops the batch in one conditional update: the expander publishes no further child, and the
   * recorder's next sweep stops every queued or running child as one set operation, then ends the
   * batch `cancelled` with the results it has.
   */
  async cancel(id: string, clientId: string | undefined): Promise<BatchRow> {
    const marked = await this.repo.markCancelling(id, clientId);
    if (marked) return marked;
    const batch = await this.get(id, clientId);
    if (batch.status === 'cancelling' || batch.status === 'cancelled') return batch;
    throw new ApiError(ApiErrorCode.BatchNotCancellable, `Batch ${id} already ended (${batch.status})`);
  }
}

function parseCreate(body: unknown): CreateBatch {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ApiError(ApiErrorCode.InvalidRequest, 'Request body must be a JSON object');
  const b = body as Record<string, unknown>;
  if (typeof b.input_file_id !== 'string' || !b.input_file_id) throw new ApiError(ApiErrorCode.InvalidRequest, 'input_file_id is required');
  return {
    input_file_id: b.input_file_id,
    // Both front doors take the same endpoints: OpenAI's chat and Gantry's OCR.
    endpoint: parseEndpoint(b.endpoint),
    completion_window: parseWindow(b.completion_window),
    metadata: parseMetadata(b.metadata),
    priority: parsePriority(b.priority),
  };
}

export function parseEndpoint(value: unknown): BatchEndpoint {
  if (typeof value !== 'string' || !(BATCH_ENDPOINTS as readonly string[]).includes(value)) throw new ApiError(ApiErrorCode.InvalidEndpoint, `endpoint must be one of ${BATCH_ENDPOINTS.join(', ')}`);
  return value as BatchEndpoint;
}

export function parseWindow(value: unknown): string {
  if (typeof value !== 'string' || !(value in WINDOW_SECONDS)) throw new ApiError(ApiErrorCode.InvalidRequest, 'completion_window must be 24h');
  return value;
}

/** OpenAI's rule: at most 16 string pairs, keys up to 64 and values up to 512 characters. */
export function parseMetadata(value: unknown): Record<string, string> | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value) || Object.keys(value).length > 16 || Object.entries(value).some(([k, v]) => k.length > 64 || typeof v !== 'string' || v.length > 512)) {
    throw new ApiError(ApiErrorCode.InvalidMetadata, 'metadata must be at most 16 string pairs (keys up to 64, values up to 512 characters)');
  }
  return value as Record<string, string>;
}

/** Gantry's priority for the batch's children; bulk work defaults to `low`. */
export function parsePriority(value: unknown): Priority {
  if (value === undefined || value === null || value === '') return 'low';
  if (!['high', 'normal', 'low'].includes(value as string)) throw new ApiError(ApiErrorCode.InvalidPriority, 'priority must be low, normal or high');
  return value as Priority;
}
