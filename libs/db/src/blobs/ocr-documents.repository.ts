import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { TERMINAL_STATUSES, type JobError, type JobStatus, type JobView, type OcrDocumentProgress, type OcrDocumentResult } from '@gantry/contracts';

export interface OcrDocument {
  request_id: string;
  client_id: string;
  blob_id: string;
  pages: number;
  /** Page job ids, page 1 first. */
  page_ids: string[];
}

/** One page job as far as the jobs table knows it (null status: not recorded yet, so queued). */
export interface OcrPageRow {
  page: number;
  request_id: string;
  status: JobStatus | null;
  result: unknown;
  error: JobError | null;
}

/** PDF parent jobs and their page jobs. Written by the gateway at submit, read by polling and the recorder. */
@Injectable()
export class OcrDocumentsRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async create(doc: OcrDocument): Promise<void> {
    await this.ds.query('INSERT INTO ocr_documents (request_id, client_id, blob_id, pages, page_ids) VALUES ($1, $2, $3, $4, $5::uuid[])', [
      doc.request_id,
      doc.client_id,
      doc.blob_id,
      doc.pages,
      doc.page_ids,
    ]);
  }

  async delete(requestId: string): Promise<void> {
    await this.ds.query('DELETE FROM ocr_documents WHERE request_id = $1', [requestId]);
  }

  /** The documents among `requestIds` (parents only; other ids are ignored). */
  async findMany(requestIds: string[]): Promise<OcrDocument[]> {
    if (!requestIds.length) return [];
    return this.ds.query('SELECT request_id, client_id, blob_id, pages, page_ids FROM ocr_documents WHERE request_id = ANY($1::uuid[])', [requestIds]);
  }

  /** Every page of `doc` in page order, with what the jobs table says (results included when `withResults`). */
  async pages(doc: OcrDocument, withResults: boolean): Promise<OcrPageRow[]> {
    const rows: OcrPageRow[] = await this.ds.query(
      `SELECT p.page::int AS page, p.id AS request_id, j.status, ${withResults ? 'j.result, j.error' : 'NULL AS result, NULL AS error'}
         FROM unnest($1::uuid[]) WITH ORDINALITY AS p(id, page)
         LEFT JOIN jobs j ON j.request_id = p.id
        ORDER BY p.page`,
      [doc.page_ids],
    );
    return rows;
  }
}

/** Page counts by state; a page not recorded yet counts as queued. */
export function documentProgress(pages: Array<Pick<OcrPageRow, 'status'>>): OcrDocumentProgress {
  const p: OcrDocumentProgress = { pages: pages.length, queued: 0, running: 0, succeeded: 0, failed: 0, done: 0 };
  for (const { status } of pages) {
    if (status === null || status === 'queued') p.queued++;
    else if (status === 'running') p.running++;
    else {
      p.done++;
      if (status === 'succeeded') p.succeeded++;
      else p.failed++;
    }
  }
  return p;
}

/**
 * A PDF parent job as polling shows it, with its pages' progress: from the assembled result once
 * the document is finished, otherwise from `pages` (null: not read, the view is left as it is).
 * A page already started means the document is running, even before the recorder says so.
 */
export function documentView(view: JobView, pages: Array<Pick<OcrPageRow, 'status'>> | null): JobView {
  const result = view.result as Partial<OcrDocumentResult> | null;
  if (result?.object === 'ocr.document' && Array.isArray(result.page_results)) {
    return { ...view, progress: documentProgress(result.page_results.map((p) => ({ status: p.status as JobStatus }))) };
  }
  if (!pages || TERMINAL_STATUSES.has(view.status)) return view;
  const progress = documentProgress(pages);
  const status = view.status === 'queued' && progress.running + progress.done > 0 ? 'running' : view.status;
  return { ...view, status, progress };
}
