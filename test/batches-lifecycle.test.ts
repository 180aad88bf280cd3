import OpenAI, { toFile } from 'openai';
import type { RunningGateway } from '../apps/gateway/src/gateway.bootstrap';
import { createStack, waitFor, type TestStack } from './support/stack';
import { chatLine, parseJsonl } from './support/batches';

/** Expansion restarts, cancel and expiry: every line ends answered exactly once, in one of the two files. */
describe('batch lifecycle', () => {
  let stack: TestStack;
  let gw: RunningGateway;
  let openai: OpenAI;
  /** The first test stops one recorder and starts another that the later tests share. */
  let recorderUp = false;

  beforeAll(async () => {
    // One partition per job topic: children reach the worker in line order (with two, a child's
    // partition follows its id, and a line meant to wait behind the hanging one could run first).
    stack = await createStack({ env: { KAFKA_SESSION_TIMEOUT_MS: '6000', BATCH_SWEEP_INTERVAL_MS: '200', KAFKA_JOB_PARTITIONS: '1' } });
    gw = await stack.startGateway();
    // One slot: a hanging line holds it, and the lines behind it stay queued.
    await stack.startWorker({ WORKER_MAX_CONCURRENT: '1' });
    openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: stack.auth('life').authorization.replace(/^Bearer /, ''), maxRetries: 0 });
  });
  afterAll(() => stack?.stop());

  async function submit(lines: string[]) {
    const file = await openai.files.create({ file: await toFile(Buffer.from(lines.join('\n')), 'in.jsonl'), purpose: 'batch' });
    return openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
  }
  const finished = (id: string, status: string) =>
    waitFor(async () => {
      const b = await openai.batches.retrieve(id);
      return b.status === status && b;
    }, `batch ${status}`, 60_000, 200);
  const read = async (fileId: string | null | undefined) => (fileId ? parseJsonl(await (await openai.files.content(fileId)).text()) : []);
  const batchRow = async (id: string) => (await stack.pg.query('SELECT expanded_through, last_leader_line FROM batches WHERE id = $1', [id])).rows[0] as { expanded_through: number; last_leader_line: number };

  it('resumes expansion after the expander stops mid-batch, without duplicating or skipping a line', async () => {
    const first = await stack.startRecorder({ BATCH_EXPAND_CHUNK: '5', BATCH_EXPAND_RATE: '20' });
    const lines = Array.from({ length: 60 }, (_, i) => chatLine(`r-${i}`, `resume line ${i}`));
    const batch = await submit(lines);
    await waitFor(async () => (await batchRow(batch.id)).expanded_through >= 10, 'expansion started');
    await first.close();
    const stopped = await batchRow(batch.id);
    expect(stopped.expanded_through).toBeLessThan(stopped.last_leader_line);

    await stack.startRecorder({ BATCH_EXPAND_CHUNK: '5', BATCH_EXPAND_RATE: '200' });
    recorderUp = true;
    const done = await finished(batch.id, 'completed');
    expect(done.request_counts).toEqual({ total: 60, completed: 60, failed: 0 });
    const output = await read(done.output_file_id);
    expect(output.map((l) => l.custom_id).sort()).toEqual(lines.map((_, i) => `r-${i}`).sort());
    // One child job per line, each run once by the backend.
    const jobs = await stack.pg.query(`SELECT count(*)::int AS n FROM jobs WHERE request->'messages'->0->>'content' LIKE 'resume line %'`);
    expect(jobs.rows[0].n).toBe(60);
    const runs = stack.sim.stats().requests.filter((r) => JSON.stringify(r).includes('resume line '));
    expect(runs).toHaveLength(60);
  });

  it('cancel stops queued children and keeps finished results', async () => {
    const lines = [...Array.from({ length: 4 }, (_, i) => chatLine(`c-${i}`, `cancel early ${i}`)), chatLine('c-hang', 'hold the slot [[sim:hang]]'), ...Array.from({ length: 10 }, (_, i) => chatLine(`c-late-${i}`, `cancel late ${i}`))];
    const batch = await submit(lines);
    // The hanging line holds the only slot: whatever is not finished now is queued behind it.
    await waitFor(async () => (await stack.pg.query(`SELECT 1 FROM jobs WHERE status = 'running' AND request->'messages'->0->>'content' LIKE 'hold the slot%'`)).rowCount, 'hang running');
    await waitFor(async () => (await batchRow(batch.id)).expanded_through === 15, 'fully expanded');
    const cancelling = await openai.batches.cancel(batch.id);
    expect(['cancelling', 'cancelled']).toContain(cancelling.status);
    const done = await finished(batch.id, 'cancelled');
    expect(done.cancelled_at).toEqual(expect.any(Number));
    const output = await read(done.output_file_id);
    const errors = await read(done.error_file_id);
    // Every line is in exactly one of the two files.
    expect([...output, ...errors].map((l) => l.custom_id).sort()).toEqual(['c-hang', ...Array.from({ length: 4 }, (_, i) => `c-${i}`), ...Array.from({ length: 10 }, (_, i) => `c-late-${i}`)].sort());
    expect(errors.map((e) => e.custom_id)).toContain('c-hang');
    expect(errors.every((e) => e.error?.code === 'batch_cancelled' && e.response === null)).toBe(true);
    expect(done.request_counts).toEqual({ total: 15, completed: output.length, failed: errors.length });
    // Finished results are kept; the cancelled queued children never reached the backend.
    const sent = stack.sim.stats().requests.map((r) => JSON.stringify(r));
    const prompt = (customId: string) => lines.map((l) => JSON.parse(l) as { custom_id: string; body: { messages: Array<{ content: string }> } }).find((l) => l.custom_id === customId)!.body.messages[0].content;
    for (const l of output) expect(sent.filter((r) => r.includes(`"${prompt(l.custom_id)}"`))).toHaveLength(1);
    for (const e of errors.filter((x) => x.custom_id !== 'c-hang')) expect(sent.filter((r) => r.includes(`"${prompt(e.custom_id)}"`))).toHaveLength(0);
    await expect(openai.batches.cancel(batch.id)).resolves.toMatchObject({ status: 'cancelled' });
  });

  it('ends a batch past its completion window as expired, with partial output and batch_expired errors', async () => {
    const lines = [chatLine('e-0', 'expire early 0'), chatLine('e-1', 'expire early 1'), chatLine('e-hang', 'expire hold [[sim:hang]]'), chatLine('e-late', 'expire late')];
    const batch = await submit(lines);
    await waitFor(async () => (await stack.pg.query(`SELECT 1 FROM jobs WHERE status = 'running' AND request->'messages'->0->>'content' LIKE 'expire hold%'`)).rowCount, 'hang running');
    // The window passes (the clock is moved in the row, not waited for).
    await stack.pg.query('UPDATE batches SET expires_at = now() WHERE id = $1', [batch.id]);
    const done = await finished(batch.id, 'expired');
    expect(done.expired_at).toEqual(expect.any(Number));
    const output = await read(done.output_file_id);
    const errors = await read(done.error_file_id);
    // Each line once: what finished in time is kept, the rest (at least the hanging one) expired.
    expect([...output, ...errors].map((l) => l.custom_id).sort()).toEqual(['e-0', 'e-1', 'e-hang', 'e-late']);
    expect(errors.map((e) => e.custom_id)).toContain('e-hang');
    expect(output.every((l) => l.response?.status_code === 200)).toBe(true);
    expect(errors.every((e) => e.error?.code === 'batch_expired' && e.response === null)).toBe(true);
    expect(done.request_counts).toEqual({ total: 4, completed: output.length, failed: errors.length });
    // Expiry stops the children too: the queued one is recorded expired without running, the hanging one is aborted.
    const children = async () =>
      (await stack.pg.query(`SELECT request->'messages'->0->>'content' AS content, status, error->>'code' AS code FROM jobs WHERE batch_id = $1`, [batch.id])).rows as Array<{ content: string; status: string; code: string | null }>;
    await waitFor(async () => (await children()).every((c) => c.status !== 'queued' && c.status !== 'running'), 'every child stopped');
    const late = (await children()).find((c) => c.content === 'expire late')!;
    expect(late).toMatchObject({ status: 'expired', code: 'batch_expired' });
    expect((await children()).find((c) => c.content.startsWith('expire hold'))!.status).toBe('cancelled');
    expect(stack.sim.stats().requests.filter((r) => JSON.stringify(r).includes('expire late'))).toHaveLength(0);
  });

  it('advances request_counts.completed while the batch runs', async () => {
    if (!recorderUp) {
      await stack.startRecorder({ BATCH_EXPAND_CHUNK: '5', BATCH_EXPAND_RATE: '200' });
      recorderUp = true;
    }
    // 16 tokens at 20 ms each: about a third of a second per line, one line at a time (one slot).
    stack.sim.configure({ itlMs: 20 });
    try {
      const lines = Array.from({ length: 10 }, (_, i) => chatLine(`p-${i}`, `progress line ${i}`));
      const batch = await submit(lines);
      const seen: number[] = [];
      const done = await waitFor(
        async () => {
          const b = await openai.batches.retrieve(batch.id);
          seen.push(b.request_counts!.completed);
          return b.status === 'completed' && b;
        },
        'batch completed',
        60_000,
        100,
      );
      expect(done.request_counts).toEqual({ total: 10, completed: 10, failed: 0 });
      // Polled mid-run, the counter was part-way, and it never went back.
      expect(seen.some((c) => c > 0 && c < 10)).toBe(true);
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
    } finally {
      stack.sim.configure({ itlMs: 0 });
    }
  });
});
