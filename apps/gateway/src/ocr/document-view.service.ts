import { Injectable } from '@nestjs/common';
import { TERMINAL_STATUSES, type JobView } from '@gantry/contracts';
import { documentView, OcrDocumentsRepository } from '@gantry/db';

/**
 * Polling a PDF's parent job shows its pages' progress: counted from the page jobs while they
 * run, from the assembled result once the recorder has finished the document.
 */
@Injectable()
export class DocumentViewService {
  constructor(private readonly documents: OcrDocumentsRepository) {}

  async decorate(view: JobView): Promise<JobView> {
    if (view.kind !== 'ocr') return view;
    if (TERMINAL_STATUSES.has(view.status)) return documentView(view, null);
    const [doc] = await this.documents.findMany([view.request_id]);
    if (!doc) return view;
    return documentView(view, await this.documents.pages(doc, false));
  }

  /** The page jobs of a PDF's parent job; empty for any other job. */
  async pageIdsOf(requestId: string): Promise<string[]> {
    const [doc] = await this.documents.findMany([requestId]);
    return doc?.page_ids ?? [];
  }
}
