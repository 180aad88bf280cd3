import type { OcrBlock, OcrDocumentPage, OcrDocumentResult, OcrResult } from '@gantry/contracts';
import type { OcrPageRow } from '@gantry/db';

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled', 'expired']);

export function allPagesFinished(pages: OcrPageRow[]): boolean {
  return pages.length > 0 && pages.every((p) => p.status !== null && TERMINAL.has(p.status));
}

/** The pages of a finished PDF in page order, their text joined with a blank line between pages. */
export function documentResult(pages: OcrPageRow[]): OcrDocumentResult {
  const pageResults: OcrDocumentPage[] = pages.map((p) => {
    const r = p.status === 'succeeded' ? (p.result as OcrResult | null) : null;
    return {
      page: p.page,
      request_id: p.request_id,
      status: p.status ?? 'queued',
      text: r?.text ?? null,
      blocks: (r?.blocks ?? []) as OcrBlock[],
      width: r?.width ?? null,
      height: r?.height ?? null,
      error: p.status === 'succeeded' ? null : p.error ? { code: p.error.code, message: p.error.message } : { code: p.status ?? 'unknown', message: `page ${p.status}` },
    };
  });
  const succeeded = pageResults.filter((p) => p.status === 'succeeded').length;
  return {
    object: 'ocr.document',
    pages: pages.length,
    succeeded,
    failed: pages.length - succeeded,
    text: pageResults
      .map((p) => p.text ?? '')
      .filter((t) => t !== '')
      .join('\n\n'),
    page_results: pageResults,
  };
}

/**
 * How a finished PDF ends: `succeeded` when every page was read; `cancelled` when the pages not
 * read were all cancelled (the client cancelled the document); otherwise `failed`.
 */
export function documentOutcome(result: OcrDocumentResult): { type: 'succeeded' | 'failed' | 'cancelled'; error?: { code: string; message: string } } {
  if (result.failed === 0) return { type: 'succeeded' };
  const unread = result.page_results.filter((p) => p.status !== 'succeeded');
  if (unread.every((p) => p.status === 'cancelled')) {
    return { type: 'cancelled', error: { code: 'cancelled', message: `cancelled; ${result.succeeded} of ${result.pages} pages were read` } };
  }
  return { type: 'failed', error: { code: 'pages_failed', message: `${result.failed} of ${result.pages} pages failed` } };
}
