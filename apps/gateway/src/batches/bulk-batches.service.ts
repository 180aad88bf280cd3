import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { BatchesRepository, type BatchRow } from '@gantry/db';
import { ApiError, ApiErrorCode } from '../errors/api-error';
import { WebhookUrlPolicy } from '../webhooks/webhook-url.policy';
import { BatchesService, parseEndpoint, parseMetadata, parsePriority, parseWindow, type BatchOptions } from './batches.service';
import { batchEnded } from './batch-views';
import { FilesService, newFileId } from './files.service';

/** Content types of a raw JSONL body (the gateway hands these to `/api/batches` as a stream). */
export const RAW_JSONL_TYPES = ['application/jsonl', 'application/x-ndjson', 'text/plain'];
const OPTION_FIELDS = ['priority', 'webhook', 'metadata', 'endpoint', 'completion_window'] as const;
type OptionFields = Partial<Record<(typeof OPTION_FIELDS)[number], string>>;

/**
 * `POST /api/batches`: Gantry's bulk upload. The JSONL is streamed into a file exactly like
 * `/v1/files`, then the batch is created exactly like `/v1/batches`; a refused upload leaves
 * neither a file nor a batch.
 */
@Injectable()
export class BulkBatchesService {
  constructor(
    private readonly files: FilesService,
    private readonly batches: BatchesService,
    private readonly repo: BatchesRepository,
    private readonly webhookPolicy: WebhookUrlPolicy,
  ) {}

  async submit(req: FastifyRequest, clientId: string, query: Record<string, unknown>): Promise<BatchRow> {
    const fileId = newFileId();
    let options: BatchOptions | undefined;
    await this.repo.write(async (tx) => {
      let stats: { bytes: number; lines: number } | undefined;
      if (req.isMultipart()) {
        const fields: OptionFields = {};
        await this.files.eachPart(req, {
          field: async (name, value) => {
            if (!(OPTION_FIELDS as readonly string[]).includes(name)) throw new ApiError(ApiErrorCode.InvalidRequest, `Unknown field ${name}; fields are file, ${OPTION_FIELDS.join(', ')}`);
            fields[name as keyof OptionFields] = value;
            // Checked as they come: a bad field sent before the file refuses the upload before it is read.
            const parsed = parseOptions(fields);
            if (name === 'webhook' && parsed.webhook) await this.webhookPolicy.check(parsed.webhook);
          },
          file: async (filename, source) => {
            stats = await this.files.ingest(tx, { id: fileId, clientId, filename }, source);
          },
        });
        // The webhook was checked when its field came (the SSRF guard resolves it again at send time).
        options = parseOptions(fields);
        if (!stats) throw new ApiError(ApiErrorCode.MissingFile, 'Send the JSONL file in a multipart field named file');
      } else if (RAW_JSONL_TYPES.includes(mediaType(req.headers['content-type']))) {
        // Raw body: the options are query parameters, all checked before the body is read.
        const fields: OptionFields = {};
        for (const [k, v] of Object.entries(query)) {
          if (!(OPTION_FIELDS as readonly string[]).includes(k)) throw new ApiError(ApiErrorCode.InvalidRequest, `Unknown query parameter ${k}; parameters are ${OPTION_FIELDS.join(', ')}`);
          if (typeof v !== 'string') throw new ApiError(ApiErrorCode.InvalidRequest, `Send ${k} once`);
          fields[k as keyof OptionFields] = v;
        }
        options = parseOptions(fields);
        if (options.webhook) await this.webhookPolicy.check(options.webhook);
        // Not destroyed when the intake refuses it mid-way: the rest is drained so that the client reads the answer (http/unread-body).
        const body = (req.body as Readable).iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>;
        stats = await this.files.ingest(tx, { id: fileId, clientId, filename: 'upload.jsonl' }, body);
      } else {
        throw new ApiError(ApiErrorCode.UnsupportedMediaType, `Send the JSONL as multipart/form-data (field file) or as a raw body (${RAW_JSONL_TYPES.join(', ')})`);
      }
      if (stats.lines === 0) throw new ApiError(ApiErrorCode.EmptyFile, 'The file has no lines');
      await tx.finishFile(fileId, 'batch', stats.bytes, stats.lines);
    });
    const file = (await this.repo.findFile(fileId))!;
    try {
      return await this.batches.createFromFile(file, options!, clientId);
    } catch (err) {
      // No batch, no file: the upload is refused as a whole.
      await this.repo.deleteFile(fileId);
      throw err;
    }
  }

  /** A finished batch's output (`results`) or error lines, streamed as JSONL. */
  async lines(id: string, clientId: string | undefined, which: 'results' | 'errors'): Promise<Readable | null> {
    const batch = await this.batches.get(id, clientId);
    if (!batchEnded(batch)) throw new ApiError(ApiErrorCode.BatchNotFinished, `Batch ${id} is ${batch.status}; its ${which} are ready when it ends`);
    const fileId = which === 'results' ? batch.output_file_id : batch.error_file_id;
    return fileId ? this.files.content(fileId, batch.client_id) : null;
  }
}

function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0].trim().toLowerCase();
}

function parseOptions(f: OptionFields): BatchOptions {
  let metadata: unknown = undefined;
  if (f.metadata !== undefined) {
    try {
      metadata = JSON.parse(f.metadata);
    } catch {
      throw new ApiError(ApiErrorCode.InvalidMetadata, 'metadata must be a JSON object of string pairs');
    }
    if (metadata === null) throw new ApiError(ApiErrorCode.InvalidMetadata, 'metadata must be a JSON object of string pairs');
  }
  if (f.webhook !== undefined && (f.webhook === '' || f.webhook.length > 2048)) throw new ApiError(ApiErrorCode.WebhookUrlInvalid, 'webhook must be a URL of at most 2048 characters');
  return {
    endpoint: parseEndpoint(f.endpoint ?? '/v1/chat/completions'),
    completion_window: parseWindow(f.completion_window ?? '24h'),
    metadata: parseMetadata(metadata),
    priority: parsePriority(f.priority),
    ...(f.webhook !== undefined ? { webhook: f.webhook } : {}),
  };
}
