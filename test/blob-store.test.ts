import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { PgBlobStore } from '@gantry/db';
import { createStack, openDataSource, type TestStack } from './support/stack';

/** The Postgres BlobStore's retention on a migrated schema: what it deletes, and the count it reports. */
describe('PgBlobStore retention', () => {
  let stack: TestStack;
  let ds: DataSource;
  let store: PgBlobStore;
  beforeAll(async () => {
    stack = await createStack();
    ds = await openDataSource(stack);
    store = new PgBlobStore(ds);
  });
  afterAll(async () => {
    await ds?.destroy();
    await stack?.stop();
  });

  const finishJob = (requestId: string, finishedSecondsAgo: number) =>
    stack.pg.query(
      `INSERT INTO jobs (request_id, client_id, kind, pool, model, priority, status, status_rank, attempts, created_at, finished_at)
       VALUES ($1, 'blob_test', 'ocr', 'deepseek-ocr', 'deepseek-ocr', 'normal', 'succeeded', 2, 1, now(), now() - make_interval(secs => $2))`,
      [requestId, finishedSecondsAgo],
    );

  it('deletes the blobs of jobs finished longer ago than the retention, keeps the rest, and counts exactly what it deleted', async () => {
    const old = randomUUID();
    const recent = randomUUID();
    const running = randomUUID();
    const refs = await Promise.all([old, recent, running].map((id) => store.put(id, Buffer.from(`bytes of ${id}`), 'image/png')));
    await finishJob(old, 3600);
    await finishJob(recent, 10);

    expect(await store.removeExpired(600, 7 * 24 * 3600, 500)).toBe(1);
    expect(await store.get(refs[0].id)).toBeNull();
    expect((await store.get(refs[1].id))?.toString()).toBe(`bytes of ${recent}`);
    expect((await store.get(refs[2].id))?.toString()).toBe(`bytes of ${running}`);
    // Nothing left to delete: the sweep reports 0, not the driver's row-count tuple.
    expect(await store.removeExpired(600, 7 * 24 * 3600, 500)).toBe(0);
  });
});
