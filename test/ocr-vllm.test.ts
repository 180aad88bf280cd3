import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { Topics, type JobMessage, type OcrDocumentResult, type OcrRequest, type OcrResult } from '@gantry/contracts';
import type { RunningGateway } from '../apps/gateway/src/gateway.bootstrap';
import { ocrAnswer, ocrImage } from '../apps/vllm-sim/src/ocr';
import type { RunningWorker } from '../apps/worker/src/worker.bootstrap';
import { TopicReader } from './support/kafka-helpers';
import { makePdf, submitOcrJson, submitOcrMultipart, textImage } from './support/ocr-fixtures';
import { createStack, waitFor, waitTerminal, type TestStack } from './support/stack';

interface SimBody {
  model: string;
  messages: Array<{ role: string; content: Array<{ type: string; text?: string; image_url?: { url: string } }> }>;
  [k: string]: unknown;
}

const imageOf = (body: SimBody) => body.messages[0].content.find((p) => p.type === 'image_url')!.image_url!.url;
const sizeOf = async (dataUrl: string) => {
  const meta = await sharp(Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64')).metadata();
  return [meta.width, meta.height];
};

/** The whole request DeepSeek-OCR gets: its recipe (temperature 0, n-gram processor, special tokens kept). */
const deepseekBody = (text: string, maxTokens: number) => ({
  model: 'deepseek-ai/DeepSeek-OCR',
  messages: [
    {
      role: 'user',
      content: [
        { type: 'image_url', image_url: { url: expect.stringMatching(/^data:image\/png;base64,[A-Za-z0-9+/]+=*$/) } },
        { type: 'text', text },
      ],
    },
  ],
  max_tokens: maxTokens,
  temperature: 0,
  skip_special_tokens: false,
  vllm_xargs: { ngram_size: 30, window_size: 90, whitelist_token_ids: [128821, 128822] },
  priority: 1,
  stream: false,
});

/**
 * The `deepseek-ocr` worker on the vLLM backend, against the simulator: the exact request
 * DeepSeek-OCR gets per resolution mode and prompt, grounding answers turned into pixel boxes,
 * the claim-check on Kafka, the pool's resolution switch, and blob retention.
 */
describe('OCR on the vLLM backend (DeepSeek-OCR request format)', () => {
  let stack: TestStack;
  let gw: RunningGateway;
  let worker: RunningWorker;
  let page: Buffer;

  const workerEnv = () => ({ WORKER_POOL: 'deepseek-ocr', OCR_BACKEND_URL: stack.sim.url });
  const headers = (extra: Record<string, string> = {}) => stack.auth('ocr_vllm', extra);

  beforeAll(async () => {
    stack = await createStack({ env: { OCR_DEFAULT_RESOLUTION: 'large' } });
    gw = await stack.startGateway();
    [worker] = await Promise.all([
      stack.startWorker(workerEnv()),
      // Blobs go as soon as their job is finished, and the sweep runs often.
      stack.startRecorder({ BLOB_RETENTION_SECONDS: '0', BLOB_SWEEP_INTERVAL_MS: '200' }),
    ]);
    // Larger than every fixed mode, so each mode's resize shows.
    page = await textImage(['Annual report 2024'], { width: 2000, height: 1500, fontSize: 80 });
  });
  afterAll(() => stack?.stop());

  /** Submits, waits for the result, and returns it with the one request the simulator got for it. */
  async function run(send: () => Promise<{ status: number; body: Record<string, unknown> }>) {
    stack.sim.resetStats();
    const res = await send();
    expect(res.status).toBe(202);
    const done = await waitTerminal(gw.url, res.body.request_id as string);
    expect(done.status).toBe('succeeded');
    const requests = stack.sim.stats().requests;
    expect(requests).toHaveLength(1);
    return { accepted: res.body, result: done.result as OcrResult, usage: done.usage, body: requests[0].body as SimBody };
  }

  it.each([
    ['tiny', [512, 384]],
    ['small', [640, 480]],
    ['base', [1024, 768]],
    ['large', [1280, 960]],
    // Gundam keeps the image: vLLM's processor cuts the 640 tiles and the 1024 global view.
    ['gundam', [2000, 1500]],
  ])('sends DeepSeek-OCR its exact request in %s mode', async (mode, size) => {
    const { body, result } = await run(() => submitOcrJson(gw.url, { bytes: page, type: 'image/png' }, '<image>\n<|grounding|>Convert the document to markdown.', headers({ 'x-resolution': mode })));
    expect(body).toEqual(deepseekBody('<|grounding|>Convert the document to markdown.', 4096));
    expect(await sizeOf(imageOf(body))).toEqual(size);
    expect(result).toMatchObject({ backend: 'vllm', resolution: mode, prompt: 'markdown', width: 2000, height: 1500 });
  });

  it('pays each mode its vision tokens (prompt tokens differ by the table of reference/002)', async () => {
    const tokens: Record<string, number> = {};
    for (const mode of ['tiny', 'small', 'base', 'large']) {
      const { usage } = await run(() => submitOcrJson(gw.url, { bytes: page, type: 'image/png' }, 'Free OCR.', headers({ 'x-resolution': mode })));
      tokens[mode] = usage!.prompt_tokens;
    }
    expect(tokens.small - tokens.tiny).toBe(100 - 64);
    expect(tokens.base - tokens.tiny).toBe(256 - 64);
    expect(tokens.large - tokens.tiny).toBe(400 - 64);
  });

  it.each([
    ['Free OCR.', {}, 'Free OCR.', 'free'],
    ['Parse the figure.', {}, 'Parse the figure.', 'figure'],
    ['<image>\nLocate <|ref|>Annual report<|/ref|> in the image.', {}, 'Locate <|ref|>Annual report<|/ref|> in the image.', 'locate'],
    ['', { max_tokens: 512 }, '<|grounding|>Convert the document to markdown.', 'markdown'],
  ])('sends the prompt %j as DeepSeek-OCR text', async (prompt, extra, text, variant) => {
    const { body, result } = await run(() => submitOcrJson(gw.url, { bytes: page, type: 'image/png' }, prompt, headers({ 'x-resolution': 'tiny' }), extra));
    expect(body).toEqual(deepseekBody(text, (extra as { max_tokens?: number }).max_tokens ?? 4096));
    expect(result.prompt).toBe(variant);
  });

  it('takes multipart fields too (prompt=locate with a target)', async () => {
    const { body, result } = await run(() =>
      submitOcrMultipart(gw.url, { bytes: page, type: 'image/png', name: 'p.png' }, { prompt: 'locate', target: 'report', max_tokens: '64' }, headers({ 'x-resolution': 'small' })),
    );
    expect(body).toEqual(deepseekBody('Locate <|ref|>report<|/ref|> in the image.', 64));
    expect(result.blocks).toHaveLength(1);
    expect(result.blocks[0].label).toBe('report');
  });

  it('turns the grounding answer into blocks with pixel boxes on the original image', async () => {
    const { body, result } = await run(() => submitOcrJson(gw.url, { bytes: page, type: 'image/png' }, null, headers({ 'x-resolution': 'base' })));
    // The simulator's answer for the image it was sent, as DeepSeek-OCR would give it.
    const raw = ocrAnswer(ocrImage(imageOf(body))!, 'markdown');
    expect(result.raw).toBe(raw);
    const regions = [...raw.matchAll(/<\|ref\|>(.*?)<\|\/ref\|><\|det\|>\[\[(\d+), (\d+), (\d+), (\d+)\]\]<\|\/det\|>\n([^\n]*)/g)];
    expect(regions.length).toBeGreaterThanOrEqual(2);
    // 0–999 over the 1024×768 image sent map to the 2000×1500 original.
    expect(result.blocks).toEqual(
      regions.map((m) => ({
        label: m[1],
        text: m[6],
        box: [Math.round((+m[2] / 999) * 2000), Math.round((+m[3] / 999) * 1500), Math.round((+m[4] / 999) * 2000), Math.round((+m[5] / 999) * 1500)],
      })),
    );
    expect(result.text).not.toContain('<|ref|>');
    expect(result.text).not.toContain('<|det|>');
    expect(result.text).toContain(regions[0][6]);
  });

  it('puts only the blob id and sha256 on Kafka (claim-check) and deletes the blob after retention', async () => {
    const reader = await TopicReader.start<JobMessage>(stack, Topics.jobs('deepseek-ocr', 'normal'));
    const { accepted, result } = await run(() => submitOcrJson(gw.url, { bytes: page, type: 'image/png' }, 'Free OCR.', headers()));
    const [job] = await reader.waitForValues((j) => j.request_id === accepted.request_id, 'the OCR job message');
    await reader.stop();
    const raw = reader.records.find((r) => r.value?.request_id === accepted.request_id)!.raw!;
    expect(raw.length).toBeLessThan(1500);
    const request = job.request as OcrRequest;
    expect(request).toEqual({
      model: 'deepseek-ai/DeepSeek-OCR',
      blob: { id: expect.any(String), sha256: expect.stringMatching(/^[0-9a-f]{64}$/), content_type: 'image/png', size: expect.any(Number) },
      resolution: 'large',
      resolution_source: 'pool_default',
      prompt: 'free',
    });
    // The image the worker read is the one stored under that digest (re-encoded by the gateway).
    const sent = Buffer.from(imageOf(stack.sim.stats().requests[0].body as SimBody).split(',')[1], 'base64');
    expect((await sharp(sent).metadata()).width).toBe(1280);
    expect(result.width).toBe(2000);
    // Finished, so the recorder's sweep removes the bytes (retention 0 here); the result stays.
    await waitFor(async () => (await stack.pg.query('SELECT 1 FROM blobs WHERE id = $1', [request.blob.id])).rowCount === 0, 'blob to be swept', 15_000);
    const again = await waitTerminal(gw.url, accepted.request_id as string);
    expect((again.result as OcrResult).text).toBe(result.text);
    expect(createHash('sha256').update('').digest('hex')).not.toBe(request.blob.sha256);
  });

  it('fails a PDF\'s parent job with pages_failed when its pages fail, keeping each page\'s error in page order', async () => {
    // The locate target lands in the prompt text, where the simulator reads its test directives:
    // every page request is refused with a permanent 400.
    const res = await submitOcrMultipart(
      gw.url,
      { bytes: makePdf(['Alpha page one', 'Bravo page two']), type: 'application/pdf', name: 'doc.pdf' },
      { prompt: 'locate', target: 'total [[sim:fail=400:99]]' },
      headers({ 'x-resolution': 'tiny' }),
    );
    expect(res.status).toBe(202);
    expect(res.body.pages).toBe(2);
    const done = await waitTerminal(gw.url, res.body.request_id as string, 60_000);
    expect(done.status).toBe('failed');
    expect(done.error).toMatchObject({ code: 'pages_failed', message: '2 of 2 pages failed' });
    const result = done.result as OcrDocumentResult;
    expect(result).toMatchObject({ object: 'ocr.document', pages: 2, succeeded: 0, failed: 2 });
    expect(result.page_results.map((p) => p.page)).toEqual([1, 2]);
    expect(done.progress).toMatchObject({ pages: 2, succeeded: 0, failed: 2, done: 2 });
    // Each page job is failed with the backend's refusal, not retried (a 400 is permanent).
    for (const p of result.page_results) {
      const page = await waitTerminal(gw.url, p.request_id);
      expect(page.status).toBe('failed');
      expect(page.attempts).toBe(1);
    }
  });

  it('cancelling a PDF\'s parent job cancels its pages: running pages are aborted upstream and the parent ends cancelled', async () => {
    stack.sim.resetStats();
    // Every page request hangs in the simulator until the worker aborts it.
    const res = await submitOcrMultipart(
      gw.url,
      { bytes: makePdf(['One', 'Two', 'Three']), type: 'application/pdf', name: 'doc.pdf' },
      { prompt: 'locate', target: 'total [[sim:hang]]' },
      headers({ 'x-resolution': 'tiny' }),
    );
    expect(res.status).toBe(202);
    const parentId = res.body.request_id as string;
    await waitFor(async () => stack.sim.stats().running === 3, 'all three pages to be running in the backend');

    const cancel = await fetch(`${gw.url}/api/jobs/${parentId}/cancel`, { method: 'POST', headers: headers() });
    expect(cancel.status).toBe(202);
    const done = await waitTerminal(gw.url, parentId, 30_000);
    expect(done.status).toBe('cancelled');
    expect(done.error).toMatchObject({ code: 'cancelled', message: 'cancelled; 0 of 3 pages were read' });
    const result = done.result as OcrDocumentResult;
    expect(result.page_results.map((p) => [p.page, p.status])).toEqual([[1, 'cancelled'], [2, 'cancelled'], [3, 'cancelled']]);
    // The backend had its three requests aborted, none left holding a slot.
    expect(stack.sim.stats()).toMatchObject({ running: 0, aborted: 3 });
  });

  describe('resolution control', () => {
    const switchTo = (resolution: string, graceful?: string, auth = stack.adminAuth()) =>
      fetch(`${gw.url}/admin/ocr/resolution?resolution=${resolution}${graceful !== undefined ? `&graceful=${graceful}` : ''}`, { method: 'POST', headers: auth }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as Record<string, unknown>,
      }));
    const submitDefault = () => submitOcrJson(gw.url, { bytes: page, type: 'image/png' }, 'Free OCR.', headers());

    it('switches the default for new jobs, on every gateway replica, and keeps it across a gateway restart', async () => {
      const other = await stack.startGateway();
      const before = await submitDefault();
      expect(before.body.resolution).toBe('large');
      await waitTerminal(gw.url, before.body.request_id as string);

      const res = await switchTo('small', 'true');
      expect(res).toEqual({ status: 200, body: { status: 'switched', resolution: 'small', message: 'OCR resolution switched to small' } });
      const { accepted, body } = await run(submitDefault);
      expect(accepted.resolution).toBe('small');
      expect(await sizeOf(imageOf(body))).toEqual([640, 480]);
      // The other replica reads the control topic too.
      await waitFor(async () => {
        const r = await submitOcrJson(other.url, { bytes: page, type: 'image/png' }, 'Free OCR.', headers());
        return r.body.resolution === 'small';
      }, 'second gateway to see the switch', 10_000);
      // A client's own X-Resolution still wins.
      expect((await submitOcrJson(gw.url, { bytes: page, type: 'image/png' }, 'Free OCR.', headers({ 'x-resolution': 'gundam' }))).body.resolution).toBe('gundam');

      await gw.close();
      gw = await stack.startGateway();
      expect((await submitDefault()).body.resolution).toBe('small');
    });

    it('graceful keeps queued jobs as submitted; not graceful moves queued pool-default jobs to the new mode', async () => {
      await switchTo('base', 'true');
      await worker.close();
      // Queued while no worker runs: one on the pool default, one with its own resolution.
      const onDefault = await submitDefault();
      const explicit = await submitOcrJson(gw.url, { bytes: page, type: 'image/png' }, 'Free OCR.', headers({ 'x-resolution': 'tiny' }));
      expect(onDefault.body.resolution).toBe('base');
      expect((await switchTo('large', 'false')).status).toBe(200);
      // Submitted after the forced switch: `large` by default, and a later graceful switch leaves it so.
      const graceful = await submitDefault();
      expect(graceful.body.resolution).toBe('large');
      await switchTo('small', 'true');

      stack.sim.resetStats();
      worker = await stack.startWorker(workerEnv());
      const results = await Promise.all([onDefault, explicit, graceful].map((r) => waitTerminal(gw.url, r.body.request_id as string)));
      expect(results.map((r) => (r.result as OcrResult).resolution)).toEqual(['large', 'tiny', 'large']);
      const widths = await Promise.all(stack.sim.stats().requests.map((r) => sizeOf(imageOf(r.body as SimBody)).then(([w]) => w)));
      expect(widths.sort((a, b) => a! - b!)).toEqual([512, 1280, 1280]);
    });

    it('refuses bad switches with a stable code, and non-admins', async () => {
      expect(await switchTo('huge')).toMatchObject({ status: 400, body: { code: 'invalid_resolution' } });
      expect(await switchTo('base', 'perhaps')).toMatchObject({ status: 400, body: { code: 'invalid_request' } });
      const r = await fetch(`${gw.url}/admin/ocr/resolution`, { method: 'POST', headers: stack.adminAuth() });
      expect(r.status).toBe(400);
      expect(((await r.json()) as { code: string }).code).toBe('invalid_resolution');
      expect((await switchTo('base', 'true', headers())).status).toBe(403);
      // Nothing changed: the default is still what the last good switch set.
      expect((await submitDefault()).body.resolution).toBe('small');
    });
  });
});
