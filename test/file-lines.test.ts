import type { DataSource } from 'typeorm';
import { BatchesRepository } from '@gantry/db';
import { createStack, openDataSource, type TestStack } from './support/stack';

/**
 * Reading an uploaded file back (batch creation, `/v1/files/{id}/content`) goes page by page,
 * bounded by lines and by bytes, so a file of long lines is never held whole.
 */
describe('file lines paging', () => {
  let stack: TestStack;
  let ds: DataSource;
  let repo: BatchesRepository;
  beforeAll(async () => {
    stack = await createStack();
    ds = await openDataSource(stack);
    repo = new BatchesRepository(ds);
    // Ten lines of 1,000 bytes, then ten of 10 bytes.
    const lines = [...Array.from({ length: 10 }, (_, i) => `${i}`.padEnd(1000, 'x')), ...Array.from({ length: 10 }, (_, i) => `${i + 10}`.padEnd(10, 'y'))];
    await repo.write(async (tx) => {
      await tx.insertFile({ id: 'file-paging', client_id: 'paging', filename: 'p.jsonl' });
      await tx.addLines('file-paging', 1, lines);
    });
  });
  afterAll(async () => {
    await ds?.destroy();
    await stack?.stop();
  });

  const lineNos = (page: Array<{ line_no: number }>) => page.map((l) => l.line_no);

  it('stops a page once the bytes before the next line reach the bound, and always returns at least one line', async () => {
    // 2,500 bytes: lines 1–3 start before the bound (0, 1,000, 2,000 bytes before them), line 4 does not.
    expect(lineNos(await repo.fileLines('file-paging', 0, 100, 2_500))).toEqual([1, 2, 3]);
    // A bound below one line still makes progress.
    expect(lineNos(await repo.fileLines('file-paging', 3, 100, 10))).toEqual([4]);
    // The line limit still applies when the bytes allow more.
    expect(lineNos(await repo.fileLines('file-paging', 10, 4, 1_000_000))).toEqual([11, 12, 13, 14]);
  });

  it('pages through the whole file in order, every line once', async () => {
    const seen: number[] = [];
    for (let after = 0; ; ) {
      const page = await repo.fileLines('file-paging', after, 1_000, 3_000);
      if (!page.length) break;
      seen.push(...lineNos(page));
      after = page[page.length - 1].line_no;
    }
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });
});
