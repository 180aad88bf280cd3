import { Injectable } from '@nestjs/common';
import { TERMINAL_STATUSES, type JobStatus, type JobView, type OcrDocumentResult } from '@gantry/contracts';
import { documentProgress, OcrDocumentsRepository } from '@gantry/db';

/**
 * Polling a PDF's parent job shows its pages' progress: counted from the page jobs while they
 * run, from the assembled result once the recorder has finished the document.
 */
@Injectable()
export class DocumentViewService {
  constructor(private readonly documents: OcrDocumentsRepository) {}

  async decorate(view: JobView): Promise<JobView> {
    if (view.kind !== 'ocr') return view;
    const result = view.result as Partial<OcrDocumentResult> | null;
    if (result?.object === 'ocr.document' && Array.isArray(result.page_results)) {
      return { ...view, progress: documentProgress(result.page_results.map((p) => ({ status: p.status as JobStatus }))) };
    }
    if (TERMINAL_STATUSES.has(view.status)) return view;
    const [doc] = await this.documents.findMany([view.request_id]);
    if (!doc) return view;
    const progress = documentProgress(await this.documents.pages(doc, false));
    // A page already started means the document is running, even before the recorder says so.
    const status = view.status === 'queued' && progress.running + progress.done > 0 ? 'running' : view.status;
    return { ...view, status, progress };
  }
}
