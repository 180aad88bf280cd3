import { allPagesFinished, documentOutcome, documentResult } from './document-result';

const page = (n: number, status: string | null, text?: string) => ({
  page: n,
  request_id: `00000000-0000-4000-8000-00000000000${n}`,
  status: status as never,
  result: text === undefined ? null : { object: 'ocr.result', text, blocks: [{ label: 'text', text, box: [1, 2, 3, 4] }], width: 10, height: 20 },
  error: status === 'failed' ? { code: 'backend_error', message: 'boom' } : null,
});

describe('document result', () => {
  it('is finished only when every page is in a terminal state (unrecorded pages are not)', () => {
    expect(allPagesFinished([page(1, 'succeeded', 'a'), page(2, 'failed')])).toBe(true);
    expect(allPagesFinished([page(1, 'succeeded', 'a'), page(2, 'running')])).toBe(false);
    expect(allPagesFinished([page(1, 'succeeded', 'a'), page(2, null)])).toBe(false);
    expect(allPagesFinished([])).toBe(false);
  });

  it('joins page texts in page order and keeps each page’s blocks and errors', () => {
    const r = documentResult([page(1, 'succeeded', 'First'), page(2, 'failed'), page(3, 'succeeded', 'Third')]);
    expect(r).toMatchObject({ object: 'ocr.document', pages: 3, succeeded: 2, failed: 1, text: 'First\n\nThird' });
    expect(r.page_results.map((p) => [p.page, p.status, p.text])).toEqual([
      [1, 'succeeded', 'First'],
      [2, 'failed', null],
      [3, 'succeeded', 'Third'],
    ]);
    expect(r.page_results[0].blocks).toEqual([{ label: 'text', text: 'First', box: [1, 2, 3, 4] }]);
    expect(r.page_results[1].error).toEqual({ code: 'backend_error', message: 'boom' });
  });

  it('ends succeeded when every page was read, cancelled when the unread pages were all cancelled, failed otherwise', () => {
    expect(documentOutcome(documentResult([page(1, 'succeeded', 'a'), page(2, 'succeeded', 'b')]))).toEqual({ type: 'succeeded' });
    expect(documentOutcome(documentResult([page(1, 'succeeded', 'a'), page(2, 'cancelled'), page(3, 'cancelled')]))).toEqual({
      type: 'cancelled',
      error: { code: 'cancelled', message: 'cancelled; 1 of 3 pages were read' },
    });
    expect(documentOutcome(documentResult([page(1, 'failed'), page(2, 'cancelled')]))).toEqual({
      type: 'failed',
      error: { code: 'pages_failed', message: '2 of 2 pages failed' },
    });
  });
});
