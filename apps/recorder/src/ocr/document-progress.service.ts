import { Injectable, Logger } from '@nestjs/common';
import { statusOfEvent, TERMINAL_STATUSES, Topics, type JobEvent, type JobEventType } from '@gantry/contracts';
import { OcrDocumentsRepository, type OcrDocument } from '@gantry/db';
import { GantryProducer } from '@gantry/kafka';
import { allPagesFinished, documentResult } from './document-result';

/**
 * Moves a PDF's parent job along with its pages: `started` when a page starts, and once every
 * page is finished, `succeeded` (all pages read) or `failed` (some not) with the pages' results
 * in page order. It runs after the batch's rows are written, so the last page to finish always
 * sees the others finished, whichever recorder instance or partition records it. Replays publish
 * the same outcome again, which the forward-only recorder ignores.
 */
@Injectable()
export class DocumentProgressService {
  private readonly log = new Logger(DocumentProgressService.name);

  constructor(
    private readonly documents: OcrDocumentsRepository,
    private readonly producer: GantryProducer,
  ) {}

  async advance(events: JobEvent[]): Promise<void> {
    const started = new Map<string, JobEvent>();
    const finished = new Map<string, JobEvent>();
    for (const e of events) {
      if (!e.parent_id) continue;
      const status = statusOfEvent(e.type);
      if (status && TERMINAL_STATUSES.has(status)) finished.set(e.parent_id, e);
      else if (e.type === 'started') started.set(e.parent_id, e);
    }
    if (!started.size && !finished.size) return;
    const docs = await this.documents.findMany([...new Set([...started.keys(), ...finished.keys()])]);
    const publishes: Array<Promise<void>> = [];
    for (const doc of docs) {
      const page = finished.get(doc.request_id);
      if (page) {
        const pages = await this.documents.pages(doc, true);
        if (allPagesFinished(pages)) {
          const result = documentResult(pages);
          const type: JobEventType = result.failed === 0 ? 'succeeded' : 'failed';
          const error = result.failed === 0 ? undefined : { code: 'pages_failed', message: `${result.failed} of ${result.pages} pages failed` };
          publishes.push(this.publish(doc, page, type, { result, ...(error ? { error } : {}) }));
          this.log.debug({ msg: 'document finished', request_id: doc.request_id, pages: result.pages, failed: result.failed });
          continue;
        }
      }
      const first = started.get(doc.request_id) ?? page;
      if (first) publishes.push(this.publish(doc, first, 'started', {}));
    }
    await Promise.all(publishes);
  }

  private publish(doc: OcrDocument, page: JobEvent, type: JobEventType, extra: Partial<JobEvent>): Promise<void> {
    const event: JobEvent = {
      schema: 1,
      request_id: doc.request_id,
      type,
      at: type === 'started' ? page.at : new Date().toISOString(),
      client_id: doc.client_id,
      pool: page.pool,
      model: page.model,
      priority: page.priority,
      kind: 'ocr',
      attempt: 1,
      ...extra,
    };
    return this.producer.publish(Topics.jobEvents, doc.request_id, event, { 'x-request-id': doc.request_id });
  }
}
