import { Injectable, Logger } from '@nestjs/common';
import { statusOfEvent, TERMINAL_STATUSES, Topics, type JobEvent, type JobEventType, type JobView } from '@gantry/contracts';
import { documentView, JobsRepository, OcrDocumentsRepository, type OcrDocument } from '@gantry/db';
import { GantryProducer } from '@gantry/kafka';
import { WebhookRequestsService } from '../webhooks/webhook-requests.service';
import { allPagesFinished, documentOutcome, documentResult } from './document-result';

/**
 * Moves a PDF's parent job along with its pages: `started` when a page starts, and once every
 * page is finished, `succeeded` (all pages read), `cancelled` (the client cancelled it) or `failed`
 * (some pages not read) with the pages' results
 * in page order. Each finished page also advances the parent's progress, which is sent as a
 * `job.progress` webhook. It runs after the batch's rows are written, so the last page to finish
 * always sees the others finished, whichever recorder instance or partition records it. Replays
 * publish the same outcome again, which the forward-only recorder ignores, and the same progress
 * webhook-ids, which the webhooks app sends once.
 */
@Injectable()
export class DocumentProgressService {
  private readonly log = new Logger(DocumentProgressService.name);

  constructor(
    private readonly documents: OcrDocumentsRepository,
    private readonly producer: GantryProducer,
    private readonly jobs: JobsRepository,
    private readonly webhooks: WebhookRequestsService,
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
    const progressed: JobView[] = [];
    for (const doc of docs) {
      const page = finished.get(doc.request_id);
      if (page) {
        const pages = await this.documents.pages(doc, true);
        // The parent as polling shows it now (the last page included, before the outcome below is
        // recorded). A parent not recorded yet (its accepted event is on another partition) or
        // already finished (a replay) has no progress to report.
        const parent = await this.jobs.findView(doc.request_id);
        if (parent && !TERMINAL_STATUSES.has(parent.status)) progressed.push(documentView(parent, pages));
        if (allPagesFinished(pages)) {
          const result = documentResult(pages);
          const { type, error } = documentOutcome(result);
          publishes.push(this.publish(doc, page, type, { result, ...(error ? { error } : {}) }));
          this.log.debug({ msg: 'document finished', request_id: doc.request_id, pages: result.pages, failed: result.failed });
          continue;
        }
      }
      const first = started.get(doc.request_id) ?? page;
      if (first) publishes.push(this.publish(doc, first, 'started', {}));
    }
    await Promise.all([...publishes, this.webhooks.requestProgress(progressed)]);
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
