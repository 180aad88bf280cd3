import type { OcrDocumentProgress } from '@gantry/contracts';
import type { RunningGateway } from '../apps/gateway/src/gateway.bootstrap';
import { makePdf, submitOcrJson, submitOcrMultipart, textImage } from './support/ocr-fixtures';
import { Receiver, verifiedDelivery } from './support/receiver';
import { chatBody, createStack, submitChat, waitFor, waitTerminal, type TestStack } from './support/stack';

type Delivered = { type: string; data: { request_id: string; status: string; kind: string; progress?: OcrDocumentProgress } };

/**
 * `POST /api/ocr` takes the job options of `POST /api/chat` (webhook, its filter, ttl,
 * execution_timeout), and a PDF's parent job reports its pages' progress as `job.progress`
 * webhooks. Real tesseract OCR, a real local receiver, signatures checked with `standardwebhooks`.
 */
describe('OCR job options and progress webhooks', () => {
  let stack: TestStack;
  let gw: RunningGateway;
  const rx = new Receiver();
  const headers = (extra: Record<string, string> = {}) => stack.auth('ocr_hooks', extra);
  let secret: string;

  beforeAll(async () => {
    await rx.start();
    stack = await createStack({ env: { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' } });
    gw = await stack.startGateway();
    await Promise.all([stack.startWorker({ WORKER_POOL: 'deepseek-ocr', OCR_BACKEND: 'tesseract', OCR_TESSERACT_WORKERS: '1' }), stack.startRecorder(), stack.startWebhooks()]);
    secret = ((await (await fetch(`${gw.url}/api/webhooks/secret`, { headers: headers() })).json()) as { secret: string }).secret;
  });
  afterAll(async () => {
    await stack?.stop();
    await rx.close();
  });

  it('sends job.progress for each step of a two-page PDF, then job.completed (multipart)', async () => {
    const pdf = makePdf(['Alpha page one', 'Bravo page two']);
    const res = await submitOcrMultipart(
      gw.url,
      { bytes: pdf, type: 'application/pdf', name: 'doc.pdf' },
      { prompt: 'free', webhook: `${rx.url}/pdf`, webhook_events_filter: 'progress,completed' },
      headers(),
    );
    expect(res.status).toBe(202);
    expect(res.body.pages).toBe(2);
    const id = res.body.request_id as string;
    await waitFor(async () => rx.at('/pdf').some((r) => JSON.parse(r.body).type === 'job.completed'), 'the completed webhook', 90_000);

    const events = rx.at('/pdf').map((r) => verifiedDelivery<Delivered>(secret, r));
    expect(events.every((e) => e.data.request_id === id)).toBe(true);
    // No `started`: the filter did not ask for it.
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(['job.progress', 'job.completed']));
    const progress = events.filter((e) => e.type === 'job.progress');
    // One per step (pages finishing in the same recorder batch share one): the last one says 2 of 2.
    const done = progress.map((e) => e.data.progress!.done).sort();
    expect(done.at(-1)).toBe(2);
    expect(new Set(done).size).toBe(done.length);
    for (const e of progress) {
      expect(e.data.status).toBe('running');
      expect(e.data.progress).toMatchObject({ pages: 2, queued: 2 - e.data.progress!.done - e.data.progress!.running });
    }
    // Each step is its own event: distinct webhook-ids.
    expect(new Set(rx.at('/pdf').map((r) => r.headers['webhook-id'])).size).toBe(events.length);
    const completed = events.find((e) => e.type === 'job.completed')!;
    expect(completed.data).toMatchObject({ status: 'succeeded', kind: 'ocr', progress: { pages: 2, done: 2, succeeded: 2 } });
  });

  it('calls an OCR image job\'s webhook on completion (JSON body)', async () => {
    const png = await textImage(['Webhook for OCR']);
    const res = await submitOcrJson(gw.url, { bytes: png, type: 'image/png' }, 'Free OCR.', headers(), { webhook: `${rx.url}/image`, ttl: 600, execution_timeout: 120 });
    expect(res.status).toBe(202);
    const id = res.body.request_id as string;
    await waitFor(async () => rx.at('/image').length >= 1, 'the image webhook', 60_000);
    const event = verifiedDelivery<Delivered & { data: { result: { text: string } } }>(secret, rx.at('/image')[0]);
    expect(event.type).toBe('job.completed');
    expect(event.data).toMatchObject({ request_id: id, status: 'succeeded', kind: 'ocr' });
    expect(event.data.result.text).toContain('Webhook for OCR');
    // Default filter: completed only.
    await new Promise((r) => setTimeout(r, 500));
    expect(rx.at('/image')).toHaveLength(1);
  });

  it('refuses bad job options on OCR with the code /api/chat uses', async () => {
    const chat = await submitChat(gw.url, chatBody('x', { ttl: 0 }), headers({ 'content-type': 'application/json' }));
    expect(chat.status).toBe(400);
    const png = await textImage(['x']);
    const cases: Array<[string, () => ReturnType<typeof submitOcrJson>]> = [
      ['JSON ttl 0', () => submitOcrJson(gw.url, { bytes: png, type: 'image/png' }, 'Free OCR.', headers(), { ttl: 0 })],
      ['JSON ttl "soon"', () => submitOcrJson(gw.url, { bytes: png, type: 'image/png' }, 'Free OCR.', headers(), { ttl: 'soon' })],
      ['JSON bad filter', () => submitOcrJson(gw.url, { bytes: png, type: 'image/png' }, 'Free OCR.', headers(), { webhook: `${rx.url}/x`, webhook_events_filter: ['finished'] })],
      ['multipart ttl 0', () => submitOcrMultipart(gw.url, { bytes: png, type: 'image/png', name: 'x.png' }, { ttl: '0' }, headers())],
      ['multipart ttl 1.5', () => submitOcrMultipart(gw.url, { bytes: png, type: 'image/png', name: 'x.png' }, { ttl: '1.5' }, headers())],
      ['multipart execution_timeout', () => submitOcrMultipart(gw.url, { bytes: png, type: 'image/png', name: 'x.png' }, { execution_timeout: 'forever' }, headers())],
      ['multipart bad filter', () => submitOcrMultipart(gw.url, { bytes: png, type: 'image/png', name: 'x.png' }, { webhook_events_filter: 'progress,finished' }, headers())],
      ['multipart webhook', () => submitOcrMultipart(gw.url, { bytes: png, type: 'image/png', name: 'x.png' }, { webhook: 'ftp://example.com/x' }, headers())],
    ];
    for (const [name, send] of cases) {
      const res = await send();
      expect([name, res.status, res.body.code]).toEqual([name, 400, chat.body.code]);
    }
    expect(chat.body.code).toBe('invalid_request');
  });

  it('applies the SSRF guard to an OCR job\'s webhook', async () => {
    const png = await textImage(['x']);
    const res = await submitOcrMultipart(gw.url, { bytes: png, type: 'image/png', name: 'x.png' }, { webhook: 'http://10.1.2.3/hook' }, headers());
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('webhook_url_forbidden');
  });
});
