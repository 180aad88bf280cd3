import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import type { Multipart } from '@fastify/multipart';
import { BatchesRepository, type BatchWriteTx, type FileRow } from '@gantry/db';
import { ApiError, ApiErrorCode } from '../errors/api-error';
import { jsonlLines, type JsonlLimits } from './jsonl-lines';

export const BATCH_LIMITS = Symbol('BATCH_LIMITS');
const LINES_PER_INSERT = 500;
/** Also flushed by size: 500 lines of up to 1 MB each would otherwise sit in memory (twice, as the query parameter). */
const BYTES_PER_INSERT = 1_048_576;
const LINES_PER_READ = 1_000;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function newFileId(): string {
  return `file-${[...randomBytes(24)].map((b) => ALPHABET[b % ALPHABET.length]).join('')}`;
}

/** `/v1/files`: JSONL uploads streamed into Postgres line by line, and read back the same way. */
@Injectable()
export class FilesService {
  constructor(
    private readonly repo: BatchesRepository,
    @Inject(BATCH_LIMITS) private readonly limits: JsonlLimits,
  ) {}

  /**
   * Streams the multipart `file` into a new file row (one transaction: a rejected upload leaves
   * nothing). `purpose` must be `batch` and may come before or after the file.
   */
  async upload(req: FastifyRequest, clientId: string): Promise<FileRow> {
    if (!req.isMultipart()) throw new ApiError(ApiErrorCode.UnsupportedMediaType, 'Upload the file as multipart/form-data (fields file and purpose)');
    const id = newFileId();
    await this.repo.write(async (tx) => {
      let purpose: string | undefined;
      let stats: { bytes: number; lines: number } | undefined;
      await this.eachPart(req, {
        field: (name, value) => {
          if (name === 'purpose') purpose = value;
        },
        file: async (filename, source) => {
          stats = await this.ingest(tx, { id, clientId, filename }, source);
        },
      });
      if (!stats) throw new ApiError(ApiErrorCode.MissingFile, 'Send the JSONL file in a multipart field named file');
      if (purpose !== 'batch') throw new ApiError(ApiErrorCode.InvalidPurpose, 'purpose must be batch');
      if (stats.lines === 0) throw new ApiError(ApiErrorCode.EmptyFile, 'The file has no lines');
      await tx.finishFile(id, purpose, stats.bytes, stats.lines);
    });
    return (await this.repo.findFile(id))!;
  }

  /**
   * Walks a multipart body: text fields as they come, and exactly one file, in the field `file`.
   * Fastify's multipart errors become this API's codes.
   */
  async eachPart(req: FastifyRequest, on: { field(name: string, value: string): void | Promise<void>; file(filename: string, source: AsyncIterable<Buffer>): Promise<void> }): Promise<void> {
    let sawFile = false;
    try {
      for await (const part of req.parts({ limits: { fileSize: this.limits.maxBytes + 1, files: 1, fields: 10, fieldSize: 65_536 } }) as AsyncIterable<Multipart>) {
        if (part.type !== 'file') {
          await on.field(part.fieldname, String(part.value));
          continue;
        }
        if (part.fieldname !== 'file' || sawFile) {
          part.file.resume();
          throw new ApiError(ApiErrorCode.InvalidRequest, 'Send exactly one file, in the field named file');
        }
        sawFile = true;
        await on.file((part.filename || 'upload.jsonl').slice(0, 255), part.file);
      }
    } catch (err) {
      if (err instanceof ApiError) throw err;
      const code = (err as { code?: string }).code;
      if (code === 'FST_REQ_FILE_TOO_LARGE') throw new ApiError(ApiErrorCode.FileTooLarge, `The file is larger than ${this.limits.maxBytes} bytes`);
      if (code === 'FST_FILES_LIMIT') throw new ApiError(ApiErrorCode.InvalidRequest, 'Send exactly one file, in the field named file');
      if (code?.startsWith('FST_')) throw new ApiError(ApiErrorCode.InvalidRequest, 'The multipart body is malformed');
      throw err;
    }
  }

  /**
   * Streams JSONL from `source` into a new file row inside `tx`, line by line (only the current
   * line is in memory; limits are checked on the way). The caller sets the purpose with `finishFile`.
   */
  async ingest(tx: BatchWriteTx, file: { id: string; clientId: string; filename: string }, source: AsyncIterable<Buffer>): Promise<{ bytes: number; lines: number }> {
    const stats = { bytes: 0, lines: 0 };
    await tx.insertFile({ id: file.id, client_id: file.clientId, filename: file.filename });
    let batch: string[] = [];
    let batchBytes = 0;
    let first = 0;
    for await (const line of jsonlLines(source, this.limits, stats)) {
      if (!batch.length) first = line.lineNo;
      // Line numbers are kept as sent; consecutive runs are written together.
      if (batch.length && first + batch.length !== line.lineNo) {
        await tx.addLines(file.id, first, batch);
        batch = [];
        batchBytes = 0;
        first = line.lineNo;
      }
      batch.push(line.text);
      batchBytes += line.text.length;
      if (batch.length >= LINES_PER_INSERT || batchBytes >= BYTES_PER_INSERT) {
        await tx.addLines(file.id, first, batch);
        batch = [];
        batchBytes = 0;
      }
    }
    await tx.addLines(file.id, first, batch);
    return stats;
  }

  async get(id: string, clientId: string | undefined): Promise<FileRow> {
    const file = await this.repo.findFile(id, clientId);
    if (!file) throw new ApiError(ApiErrorCode.FileNotFound, `No such File object: ${id}`);
    return file;
  }

  /** The file's lines as a stream, read page by page. */
  async content(id: string, clientId: string | undefined): Promise<Readable> {
    await this.get(id, clientId);
    const repo = this.repo;
    return Readable.from(
      (async function* () {
        for (let after = 0; ; ) {
          const page = await repo.fileLines(id, after, LINES_PER_READ);
          if (!page.length) return;
          yield page.map((l) => `${l.content}\n`).join('');
          after = page[page.length - 1].line_no;
        }
      })(),
    );
  }

  async delete(id: string, clientId: string | undefined): Promise<{ id: string; object: 'file'; deleted: true }> {
    if (!(await this.repo.deleteFile(id, clientId))) throw new ApiError(ApiErrorCode.FileNotFound, `No such File object: ${id}`);
    return { id, object: 'file', deleted: true };
  }
}
