import { randomUUID } from 'node:crypto';
import { Topics, type DeadLetter } from '@gantry/contracts';
import type { CrashEntry } from '../apps/gateway/src/admin/crash-log.service';
import type { MissingModelEntry } from '../apps/gateway/src/admin/missing-models.service';
import type { RunningGateway } from '../apps/gateway/src/gateway.bootstrap';
import { committedOffset, RawProducer } from './support/kafka-helpers';
import { getJson } from './support/operations';
import { submitOcrMultipart, textImage } from './support/ocr-fixtures';
import { chatBody, createStack, submitChat, waitFor, waitTerminal, type TestStack } from './support/stack';

const JOBS_NORMAL = Topics.jobs('gemma', 'normal');

/** `/admin/crashes` (failed jobs and dead letters) and `/admin/missing-models`. */
describe('crash logs and missing models', () => {
  let stack: TestStack;
  let gw: RunningGateway;
  let producer: RawProducer;

  const crashes = (query = '', headers = stack.adminAuth()) => getJson<CrashEntry[] & { code?: string }>(`${gw.url}/admin/crashes${query}`, headers);
  const missing = (query = '', headers = stack.adminAuth()) => getJson<MissingModelEntry[] & { code?: string }>(`${gw.url}/admin/missing-models${query}`, headers);
  const deadLetterRows = async (where: string, params: unknown[]) => (await stack.pg.query(`SELECT * FROM dead_letters WHERE ${where}`, params)).rows;

  beforeAll(async () => {
    stack = await createStack();
    producer = await RawProducer.connect(stack);
    gw = await stack.startGateway();
    await Promise.all([stack.startWorker({ WORKER_MAX_ATTEMPTS: '1' }), stack.startRecorder()]);
  });
  afterAll(async () => {
    await producer?.disconnect();
    await stack?.stop();
  });

  describe('GET /admin/crashes', () => {
    let failedId: string;
    const poisonKey = randomUUID();

    it('lists a failed job with its error, pool and request id', async () => {
      const { body } = await submitChat(gw.url, chatBody(`[[sim:fail=400:1]] crash probe ${randomUUID()}`), stack.auth('crash-app'));
      failedId = body.request_id as string;
      const done = await waitTerminal(gw.url, failedId);
      expect(done.status).toBe('failed');

      const entry = await waitFor(async () => (await crashes()).body.find((e) => e.request_id === failedId), 'the failed job in the crash log');
      expect(entry).toEqual({
        timestamp: done.finished_at,
        error: done.error!.message,
        model: 'gemma',
        request_id: failedId,
        stack_trace: null,
        source: 'job',
        code: 'backend_rejected',
      });
    });

    it('lists the dead letters of a malformed job message, one per consumer group, newest first', async () => {
      await producer.send(JOBS_NORMAL, poisonKey, '{"schema": 1, "request_id": "' + poisonKey + '"'); // truncated JSON
      const letters = await waitFor(async () => {
        const hits = (await crashes()).body.filter((e) => e.source === 'dead_letter' && e.request_id === poisonKey);
        return hits.length === 2 ? hits : null;
      }, 'two dead letters for the malformed message');
      expect(letters.map((l) => l.consumer_group).sort()).toEqual(['gantry.recorder', 'gantry.worker.gemma']);
      for (const l of letters) {
        expect(l).toMatchObject({ model: 'gemma', topic: JOBS_NORMAL, stack_trace: null, code: null });
        expect(l.error).toMatch(/not valid JSON/);
        expect(typeof l.partition).toBe('number');
        expect(l.offset).toMatch(/^\d+$/);
      }

      const { status, body } = await crashes();
      expect(status).toBe(200);
      const times = body.map((e) => Date.parse(e.timestamp));
      expect(times).toEqual([...times].sort((a, b) => b - a));
      // The letters came after the failed job.
      expect(body.findIndex((e) => e.request_id === poisonKey)).toBeLessThan(body.findIndex((e) => e.request_id === failedId));
    });

    it('honours limit', async () => {
      const all = (await crashes()).body;
      expect(all.length).toBe(3);
      const one = await crashes('?limit=1');
      expect(one.status).toBe(200);
      expect(one.body).toEqual([all[0]]);
      expect((await crashes('?limit=1000')).body).toEqual(all);
    });

    it.each([['?limit=0'], ['?limit=1001'], ['?limit=abc'], ['?limit=-3'], ['?limit='], ['?limit=2.5'], ['?limit=1&limit=2']])('rejects %s with 400 invalid_request', async (query) => {
      const { status, body } = await crashes(query);
      expect(status).toBe(400);
      expect(body.code).toBe('invalid_request');
    });

    it('needs the admin role', async () => {
      expect((await crashes('', stack.auth('crash-app'))).status).toBe(403);
      expect((await crashes('', {})).status).toBe(401);
    });

    it('stores a replayed dead letter once (the recorder handler is idempotent)', async () => {
      const letter: DeadLetter = {
        schema: 1,
        topic: JOBS_NORMAL,
        partition: 0,
        offset: '987654',
        key: randomUUID(),
        value: 'not json',
        error: 'replay probe',
        at: new Date().toISOString(),
        consumer_group: 'gantry.worker.gemma',
      };
      const first = await producer.send(Topics.dlq, letter.key!, letter);
      const second = await producer.send(Topics.dlq, letter.key!, letter);
      // Once the recorder has committed past the second copy, both have been handled.
      await waitFor(async () => (await committedOffset(stack, 'gantry.recorder', Topics.dlq, second.partition)) > Number(second.offset), 'the recorder to commit past both copies');
      const rows = await deadLetterRows(`source_offset = 987654 AND error = 'replay probe'`, []);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ request_id: letter.key, pool: 'gemma', value: 'not json' });
      expect((await crashes()).body.filter((e) => e.error === 'replay probe')).toHaveLength(1);
      // Both copies were valid and stored: neither was dead-lettered in turn.
      expect(await deadLetterRows(`source_topic = $1 AND source_offset IN ($2, $3)`, [Topics.dlq, first.offset, second.offset])).toHaveLength(0);
    });

    it('stores a dead letter Postgres text could not hold (NUL) without it', async () => {
      const letter: DeadLetter = {
        schema: 1,
        topic: Topics.jobEvents,
        partition: 1,
        offset: '5',
        key: null,
        value: 'bad\u0000value',
        error: 'nul probe\u0000',
        at: new Date().toISOString(),
        consumer_group: 'gantry.recorder',
      };
      await producer.send(Topics.dlq, 'nul-probe', letter);
      const [row] = await waitFor(async () => {
        const r = await deadLetterRows(`error = 'nul probe'`, []);
        return r.length ? r : null;
      }, 'the NUL letter stored');
      expect(row).toMatchObject({ value: 'badvalue', key: null, request_id: null, pool: null });
    });

    it('records a malformed DLQ record once, as a dead letter of the recorder', async () => {
      const at = await producer.send(Topics.dlq, 'bad-letter', { schema: 2, topic: 'x' });
      const [row] = await waitFor(async () => {
        const r = await deadLetterRows(`consumer_group = 'gantry.recorder' AND source_topic = $1 AND source_partition = $2 AND source_offset = $3`, [Topics.dlq, at.partition, at.offset]);
        return r.length ? r : null;
      }, 'a dead letter about the malformed DLQ record');
      expect(row.error).toMatch(/^invalid message: /);
      expect(row.value).toBe(JSON.stringify({ schema: 2, topic: 'x' }));
    });
  });

  describe('stack traces', () => {
    it('records the stack of a job that failed inside the worker (its blob is gone), not of a backend answer', async () => {
      // No OCR worker yet: the job waits in Kafka while its claim-checked image disappears.
      const png = await textImage(['stack probe']);
      const res = await submitOcrMultipart(gw.url, { bytes: png, type: 'image/png', name: 'probe.png' }, { prompt: 'free' }, stack.auth('crash-app'));
      expect(res.status).toBe(202);
      const id = res.body.request_id as string;
      expect((await stack.pg.query('DELETE FROM blobs WHERE request_id = $1', [id])).rowCount).toBe(1);
      await stack.startWorker({ WORKER_POOL: 'deepseek-ocr', OCR_BACKEND: 'tesseract', OCR_TESSERACT_WORKERS: '1' });

      const done = await waitTerminal(gw.url, id, 60_000);
      expect(done.status).toBe('failed');
      expect(done.error).toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/is gone/) });
      // The stack is for operators only: the client's view of the job has none.
      expect(JSON.stringify(done)).not.toMatch(/OcrExecutor|error_stack|\.ts:\d+/);

      const entry = await waitFor(async () => (await crashes()).body.find((e) => e.request_id === id), 'the OCR failure in the crash log');
      expect(entry).toMatchObject({ source: 'job', model: 'deepseek-ocr', code: 'invalid_input', error: done.error!.message });
      expect(entry.stack_trace).toMatch(/^BackendError: blob [0-9a-f-]{36} is gone/);
      // Where it happened: the worker's OCR executor, loading the blob.
      expect(entry.stack_trace).toMatch(/\n\s+at OcrExecutor\.\S+ .*ocr-executor\.(ts|js):\d+/);
      // Backend answers and undecodable messages keep a null stack.
      const others = (await crashes()).body.filter((e) => e.request_id !== id);
      expect(others.length).toBeGreaterThan(0);
      for (const e of others) expect(e.stack_trace).toBeNull();
    });
  });

  describe('GET /admin/missing-models', () => {
    it('records every request for a model Gantry does not serve, newest first', async () => {
      const a = await submitChat(gw.url, chatBody('x', { model: 'gpt-4' }), stack.auth('mm-app'));
      expect(a.status).toBe(404);
      expect(a.body.code).toBe('model_not_found');
      await new Promise((r) => setTimeout(r, 5));
      const b = await submitChat(gw.url, chatBody('x', { model: 'claude-3-opus' }), stack.auth('mm-other'));
      expect(b.status).toBe(404);
      // A served model is not recorded, nor an operator looking up an unknown queue.
      expect((await submitChat(gw.url, chatBody('x'), stack.auth('mm-app'))).status).toBe(202);
      expect((await getJson(`${gw.url}/admin/queue/nope`, stack.adminAuth())).status).toBe(404);

      const { status, body } = await missing();
      expect(status).toBe(200);
      expect(body).toEqual([
        { model_name: 'claude-3-opus', client_id: 'mm-other', timestamp: expect.any(String) },
        { model_name: 'gpt-4', client_id: 'mm-app', timestamp: expect.any(String) },
      ]);
      expect(Date.parse(body[0].timestamp)).toBeGreaterThanOrEqual(Date.parse(body[1].timestamp));
      expect(Date.now() - Date.parse(body[1].timestamp)).toBeLessThan(60_000);
    });

    it('honours limit and rejects a bad one', async () => {
      const one = await missing('?limit=1');
      expect(one.body).toHaveLength(1);
      expect(one.body[0].model_name).toBe('claude-3-opus');
      for (const q of ['?limit=0', '?limit=x', '?limit=5000']) {
        const { status, body } = await missing(q);
        expect(status).toBe(400);
        expect(body.code).toBe('invalid_request');
      }
      expect((await missing('', stack.auth('mm-app'))).status).toBe(403);
    });
  });
});
