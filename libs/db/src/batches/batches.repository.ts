import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, QueryRunner } from 'typeorm';

export interface FileRow {
  id: string;
  client_id: string;
  purpose: string;
  filename: string;
  bytes: string;
  line_count: number;
  created_at: Date;
}

export type BatchStatus = 'validating' | 'failed' | 'in_progress' | 'finalizing' | 'completed' | 'expired' | 'cancelling' | 'cancelled';
export type BatchFinalStatus = 'completed' | 'expired' | 'cancelled' | 'failed';

export interface BatchLineError {
  code: string;
  message: string;
  param: string | null;
  line: number | null;
}

export interface BatchRow {
  id: string;
  client_id: string;
  endpoint: string;
  input_file_id: string;
  completion_window: string;
  priority: 'high' | 'normal' | 'low';
  status: BatchStatus;
  final_status: BatchFinalStatus | null;
  metadata: Record<string, string> | null;
  /** Gantry's own batches (`/api/batches`): called when the batch ends. */
  webhook: string | null;
  /** When the end event went to the webhooks app (null: not yet, or not ended). */
  notified_at: Date | null;
  errors: BatchLineError[] | null;
  output_file_id: string | null;
  error_file_id: string | null;
  total: number;
  invalid: number;
  completed: number;
  failed: number;
  unique_requests: number;
  last_leader_line: number;
  expanded_through: number;
  usage: { input_tokens: number; output_tokens: number; total_tokens: number } | null;
  created_at: Date;
  in_progress_at: Date | null;
  expires_at: Date;
  finalizing_at: Date | null;
  completed_at: Date | null;
  failed_at: Date | null;
  expired_at: Date | null;
  cancelling_at: Date | null;
  cancelled_at: Date | null;
}

/** One input line as validation left it: a valid request (maybe a duplicate of a leader) or an error. */
export interface BatchItem {
  line_no: number;
  custom_id: string | null;
  request_id: string | null;
  leader: boolean;
  body: object | null;
  error: { code: string; message: string; line: number } | null;
}

export interface NewBatch {
  id: string;
  client_id: string;
  endpoint: string;
  input_file_id: string;
  completion_window: string;
  priority: 'high' | 'normal' | 'low';
  metadata: Record<string, string> | null;
  webhook?: string | null;
  expires_at: Date;
}

export interface BatchProgress {
  completed: number;
  failedChildren: number;
  /** Valid lines whose child job (among those already published) has not finished. */
  pendingExpanded: number;
}

/** A write that is all-or-nothing: a file with its lines, or a batch with its items. */
export class BatchWriteTx {
  constructor(private readonly q: QueryRunner) {}

  /** The purpose is set by `finishFile`: a multipart form may send it after the file. */
  async insertFile(file: { id: string; client_id: string; filename: string }): Promise<void> {
    await this.q.query(`INSERT INTO files (id, client_id, purpose, filename, bytes, line_count) VALUES ($1, $2, '', $3, 0, 0)`, [file.id, file.client_id, file.filename]);
  }

  async addLines(fileId: string, firstLineNo: number, lines: string[]): Promise<void> {
    if (!lines.length) return;
    await this.q.query('INSERT INTO file_lines (file_id, line_no, content) SELECT $1, $2 + n - 1, c FROM unnest($3::text[]) WITH ORDINALITY AS t(c, n)', [fileId, firstLineNo, lines]);
  }

  async finishFile(fileId: string, purpose: string, bytes: number, lineCount: number): Promise<void> {
    await this.q.query('UPDATE files SET purpose = $2, bytes = $3, line_count = $4 WHERE id = $1', [fileId, purpose, bytes, lineCount]);
  }

  async insertBatch(b: NewBatch): Promise<void> {
    await this.q.query(
      `INSERT INTO batches (id, client_id, endpoint, input_file_id, completion_window, priority, status, metadata, expires_at, total, invalid, unique_requests, webhook)
       VALUES ($1, $2, $3, $4, $5, $6, 'validating', $7, $8, 0, 0, 0, $9)`,
      [b.id, b.client_id, b.endpoint, b.input_file_id, b.completion_window, b.priority, b.metadata, b.expires_at, b.webhook ?? null],
    );
  }

  async addItems(batchId: string, items: BatchItem[]): Promise<void> {
    if (!items.length) return;
    await this.q.query(
      `INSERT INTO batch_items (batch_id, line_no, custom_id, request_id, leader, body, error)
       SELECT $1, i.line_no, i.custom_id, i.request_id, i.leader, i.body, i.error
         FROM jsonb_to_recordset($2::jsonb) AS i(line_no int, custom_id text, request_id uuid, leader boolean, body jsonb, error jsonb)`,
      [batchId, JSON.stringify(items)],
    );
  }

  /**
   * Ends validation: `in_progress` with counts, or (no valid line) `finalizing` towards `failed`,
   * so its error file is assembled like any other batch's.
   */
  async settleBatch(batchId: string, s: { total: number; invalid: number; uniqueRequests: number; lastLeaderLine: number; errors: BatchLineError[] | null }): Promise<void> {
    const failed = s.uniqueRequests === 0;
    await this.q.query(
      `UPDATE batches SET total = $2, invalid = $3, failed = $3, unique_requests = $4, last_leader_line = $5, errors = $6,
              status = $7, final_status = CASE WHEN $8 THEN 'failed' END,
              in_progress_at = CASE WHEN $8 THEN NULL ELSE now() END, finalizing_at = CASE WHEN $8 THEN now() END
        WHERE id = $1`,
      [batchId, s.total, s.invalid, s.uniqueRequests, s.lastLeaderLine, s.errors ? JSON.stringify(s.errors) : null, failed ? 'finalizing' : 'in_progress', failed],
    );
  }
}

/** Line content read per page of a file (lines may be up to BATCH_MAX_LINE_BYTES each). */
export const FILE_LINES_PAGE_BYTES = 4 * 1024 * 1024;

/** Files and batches (OpenAI Batch API); used by the gateway (intake, reads) and the recorder (expansion, completion). */
@Injectable()
export class BatchesRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Runs `fn` in one transaction: everything it wrote is kept, or nothing is. */
  async write<T>(fn: (tx: BatchWriteTx) => Promise<T>): Promise<T> {
    const q = this.ds.createQueryRunner();
    await q.connect();
    await q.startTransaction();
    try {
      const result = await fn(new BatchWriteTx(q));
      await q.commitTransaction();
      return result;
    } catch (err) {
      await q.rollbackTransaction();
      throw err;
    } finally {
      await q.release();
    }
  }

  async findFile(id: string, clientId?: string): Promise<FileRow | null> {
    const rows: FileRow[] = await this.ds.query('SELECT * FROM files WHERE id = $1 AND ($2::text IS NULL OR client_id = $2)', [id, clientId ?? null]);
    return rows[0] ?? null;
  }

  /**
   * A page of a file's lines, in order, after line `afterLine` (keyset: reads stay flat for any
   * size): at most `limit` lines and, past the first line, no more than `maxBytes` of content, so
   * a file of long lines is never read whole into memory.
   */
  async fileLines(fileId: string, afterLine: number, limit: number, maxBytes = FILE_LINES_PAGE_BYTES): Promise<Array<{ line_no: number; content: string }>> {
    return this.ds.query(
      // The limit applies before the running sum, so each page reads at most `limit` rows.
      `SELECT line_no, content FROM (
         SELECT line_no, content, sum(octet_length(content)) OVER (ORDER BY line_no) - octet_length(content) AS before
         FROM (SELECT line_no, content FROM file_lines WHERE file_id = $1 AND line_no > $2 ORDER BY line_no LIMIT $3) next
       ) page WHERE before < $4 ORDER BY line_no`,
      [fileId, afterLine, limit, maxBytes],
    );
  }

  async deleteFile(id: string, clientId?: string): Promise<boolean> {
    // TypeORM answers DELETE/UPDATE with [rows, affected].
    const [rows]: [unknown[], number] = await this.ds.query('DELETE FROM files WHERE id = $1 AND ($2::text IS NULL OR client_id = $2) RETURNING id', [id, clientId ?? null]);
    return rows.length > 0;
  }

  async findBatch(id: string, clientId?: string): Promise<BatchRow | null> {
    const rows: BatchRow[] = await this.ds.query('SELECT * FROM batches WHERE id = $1 AND ($2::text IS NULL OR client_id = $2)', [id, clientId ?? null]);
    return rows[0] ?? null;
  }

  /** Newest first; `after` is the last id of the previous page. */
  async listBatches(clientId: string | undefined, after: string | undefined, limit: number): Promise<BatchRow[]> {
    return this.ds.query(
      `SELECT * FROM batches b
        WHERE ($1::text IS NULL OR b.client_id = $1)
          AND ($2::text IS NULL OR (b.created_at, b.id) < (SELECT created_at, id FROM batches WHERE id = $2))
        ORDER BY b.created_at DESC, b.id DESC LIMIT $3`,
      [clientId ?? null, after ?? null, limit],
    );
  }

  async deleteBatch(id: string): Promise<void> {
    await this.ds.query('DELETE FROM batches WHERE id = $1', [id]);
  }

  /** `validating`/`in_progress` → `cancelling`; null when the batch is already past that. */
  async markCancelling(id: string, clientId?: string): Promise<BatchRow | null> {
    const rows: [BatchRow[], number] = await this.ds.query(
      `UPDATE batches SET status = 'cancelling', cancelling_at = now()
        WHERE id = $1 AND ($2::text IS NULL OR client_id = $2) AND status IN ('validating', 'in_progress') RETURNING *`,
      [id, clientId ?? null],
    );
    return rows[0][0] ?? null;
  }

  /**
   * Child jobs already published that have not finished (one set query): what a cancel or an
   * expiry must stop. `running` is false for queued children and for those not recorded yet.
   */
  async unfinishedChildren(batchId: string): Promise<Array<{ request_id: string; running: boolean; attempts: number }>> {
    return this.ds.query(
      `SELECT bi.request_id, COALESCE(j.status_rank, 0) = 1 AS running, COALESCE(j.attempts, 0) AS attempts
         FROM batch_items bi JOIN batches b ON b.id = bi.batch_id
         LEFT JOIN jobs j ON j.request_id = bi.request_id
        WHERE bi.batch_id = $1 AND bi.leader AND bi.line_no <= b.expanded_through AND (j.status_rank IS NULL OR j.status_rank < 2)`,
      [batchId],
    );
  }

  /** Ended batches whose end event has not been handed to the webhooks app yet, oldest first. */
  async unnotifiedEnded(limit: number): Promise<BatchRow[]> {
    return this.ds.query(
      `SELECT * FROM batches WHERE notified_at IS NULL AND status IN ('completed', 'failed', 'expired', 'cancelled') ORDER BY created_at LIMIT $1`,
      [limit],
    );
  }

  async markNotified(batchId: string): Promise<void> {
    await this.ds.query('UPDATE batches SET notified_at = now() WHERE id = $1 AND notified_at IS NULL', [batchId]);
  }

  /** The next leaders (one child job each) after the checkpoint, in line order. */
  async leadersAfter(batchId: string, afterLine: number, limit: number): Promise<Array<{ line_no: number; request_id: string; body: object }>> {
    return this.ds.query('SELECT line_no, request_id, body FROM batch_items WHERE batch_id = $1 AND leader AND line_no > $2 ORDER BY line_no LIMIT $3', [
      batchId,
      afterLine,
      limit,
    ]);
  }

  /** Moves the expansion checkpoint forward only (a replayed chunk never moves it back). */
  async checkpointExpansion(batchId: string, throughLine: number): Promise<void> {
    await this.ds.query('UPDATE batches SET expanded_through = $2 WHERE id = $1 AND expanded_through < $2', [batchId, throughLine]);
  }

  async openBatches(limit: number): Promise<BatchRow[]> {
    return this.ds.query(`SELECT * FROM batches WHERE status IN ('in_progress', 'cancelling', 'finalizing') ORDER BY created_at LIMIT $1`, [limit]);
  }

  /** Counts recomputed from the child jobs' rows: idempotent, whatever order events arrive in. */
  async progress(batchId: string): Promise<BatchProgress> {
    const rows: Array<{ completed: string; failed_children: string; pending_expanded: string }> = await this.ds.query(
      `SELECT count(*) FILTER (WHERE j.status = 'succeeded') AS completed,
              count(*) FILTER (WHERE j.status_rank = 2 AND j.status <> 'succeeded') AS failed_children,
              count(*) FILTER (WHERE (j.status_rank IS NULL OR j.status_rank < 2) AND leader_line <= b.expanded_through) AS pending_expanded
         FROM (SELECT bi.request_id, min(bi.line_no) OVER (PARTITION BY bi.request_id) AS leader_line, bi.batch_id
                 FROM batch_items bi WHERE bi.batch_id = $1 AND bi.request_id IS NOT NULL) i
         JOIN batches b ON b.id = i.batch_id
         LEFT JOIN jobs j ON j.request_id = i.request_id`,
      [batchId],
    );
    const r = rows[0];
    return { completed: Number(r.completed), failedChildren: Number(r.failed_children), pendingExpanded: Number(r.pending_expanded) };
  }

  async updateCounts(batchId: string, completed: number, failed: number): Promise<void> {
    await this.ds.query('UPDATE batches SET completed = $2, failed = $3 WHERE id = $1 AND (completed, failed) IS DISTINCT FROM ($2, $3)', [batchId, completed, failed]);
  }

  /** Claims the batch for assembly (one sweeper wins); `finalizing` remembers where it ends. */
  async claimFinalizing(batchId: string, from: BatchStatus, finalStatus: BatchFinalStatus): Promise<boolean> {
    const rows: [unknown[], number] = await this.ds.query(
      `UPDATE batches SET status = 'finalizing', final_status = $3, finalizing_at = now() WHERE id = $1 AND status = $2 RETURNING id`,
      [batchId, from, finalStatus],
    );
    return rows[0].length > 0;
  }

  /**
   * Writes the output and error files in OpenAI's line formats straight from the child jobs' rows
   * (in Postgres, nothing through memory) and ends the batch, all in one transaction.
   */
  async assemble(batch: BatchRow, ids: { outputFileId: string; errorFileId: string }): Promise<void> {
    const final = batch.final_status ?? 'completed';
    const unfinished =
      final === 'expired'
        ? { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' }
        : { code: 'batch_cancelled', message: 'This request was cancelled before it could be executed.' };
    const q = this.ds.createQueryRunner();
    await q.connect();
    await q.startTransaction();
    try {
      // One assembler wins: the row is locked and must still be finalizing.
      const [claimed]: Array<{ id: string }> = await q.query(`SELECT id FROM batches WHERE id = $1 AND status = 'finalizing' FOR UPDATE`, [batch.id]);
      if (!claimed) {
        await q.rollbackTransaction();
        return;
      }
      const lines = `
        SELECT bi.line_no, bi.custom_id, bi.request_id, bi.error AS line_error, j.status, j.result, j.error AS job_error,
               'batch_req_' || md5(bi.batch_id || ':' || bi.line_no) AS item_id
          FROM batch_items bi LEFT JOIN jobs j ON j.request_id = bi.request_id
         WHERE bi.batch_id = $1`;
      const out: Array<{ n: string }> = await q.query(
        `WITH l AS (${lines}), o AS (SELECT * FROM l WHERE status = 'succeeded')
         SELECT count(*) AS n FROM o`,
        [batch.id],
      );
      const outCount = Number(out[0].n);
      const total = batch.total;
      const errCount = total - outCount;
      for (const [fileId, count, filename] of [
        [ids.outputFileId, outCount, `${batch.id}_output.jsonl`],
        [ids.errorFileId, errCount, `${batch.id}_error.jsonl`],
      ] as const) {
        if (count > 0) {
          await q.query(`INSERT INTO files (id, client_id, purpose, filename, bytes, line_count) VALUES ($1, $2, $3, $4, 0, $5)`, [fileId, batch.client_id, 'batch_output', filename, count]);
        }
      }
      if (outCount > 0) {
        await q.query(
          `INSERT INTO file_lines (file_id, line_no, content)
           SELECT $2, row_number() OVER (ORDER BY line_no),
                  json_build_object('id', item_id, 'custom_id', custom_id,
                    'response', json_build_object('status_code', 200, 'request_id', request_id, 'body', result),
                    'error', NULL)::text
             FROM (${lines}) l WHERE status = 'succeeded'`,
          [batch.id, ids.outputFileId],
        );
      }
      if (errCount > 0) {
        await q.query(
          `INSERT INTO file_lines (file_id, line_no, content)
           SELECT $2, row_number() OVER (ORDER BY line_no),
                  (CASE
                    WHEN line_error IS NOT NULL THEN
                      json_build_object('id', item_id, 'custom_id', custom_id, 'response', NULL, 'error', line_error)
                    -- A child stopped by the batch's own cancel or expiry reads like a line that never ran.
                    WHEN status IN ('failed', 'expired') AND COALESCE(job_error->>'code', '') NOT IN ('batch_cancelled', 'batch_expired') THEN
                      json_build_object('id', item_id, 'custom_id', custom_id,
                        'response', json_build_object('status_code', COALESCE((job_error->>'status')::int, 500), 'request_id', request_id,
                          'body', json_build_object('error', json_build_object('message', COALESCE(job_error->>'message', status),
                            'type', 'server_error', 'param', NULL, 'code', COALESCE(job_error->>'code', status)))),
                        'error', NULL)
                    ELSE
                      json_build_object('id', item_id, 'custom_id', custom_id, 'response', NULL,
                        'error', json_build_object('code', $3::text, 'message', $4::text))
                  END)::text
             FROM (${lines}) l WHERE status IS DISTINCT FROM 'succeeded'`,
          [batch.id, ids.errorFileId, unfinished.code, unfinished.message],
        );
      }
      for (const fileId of [ids.outputFileId, ids.errorFileId]) {
        await q.query(`UPDATE files SET bytes = (SELECT COALESCE(sum(octet_length(content) + 1), 0) FROM file_lines WHERE file_id = $1) WHERE id = $1`, [fileId]);
      }
      // Usage of the requests actually run: duplicates reuse a result and cost nothing.
      await q.query(
        `UPDATE batches b SET status = final_status, output_file_id = $2, error_file_id = $3,
                completed = $4, failed = $5,
                completed_at = CASE WHEN final_status = 'completed' THEN now() END,
                expired_at = CASE WHEN final_status = 'expired' THEN now() END,
                cancelled_at = CASE WHEN final_status = 'cancelled' THEN now() END,
                failed_at = CASE WHEN final_status = 'failed' THEN now() END,
                usage = (SELECT json_build_object('input_tokens', COALESCE(sum((j.usage->>'prompt_tokens')::int), 0),
                                                  'output_tokens', COALESCE(sum((j.usage->>'completion_tokens')::int), 0),
                                                  'total_tokens', COALESCE(sum((j.usage->>'total_tokens')::int), 0))
                           FROM batch_items bi JOIN jobs j ON j.request_id = bi.request_id WHERE bi.batch_id = b.id AND bi.leader)
          WHERE id = $1 AND status = 'finalizing'`,
        [batch.id, outCount > 0 ? ids.outputFileId : null, errCount > 0 ? ids.errorFileId : null, outCount, errCount],
      );
      await q.commitTransaction();
    } catch (err) {
      await q.rollbackTransaction();
      throw err;
    } finally {
      await q.release();
    }
  }
}
