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
