import sharp from 'sharp';
import { POOLS, PRIORITIES, Topics, type JobMessage, type OcrDocumentResult, type OcrResult } from '@gantry/contracts';
import type { RunningGateway } from '../apps/gateway/src/gateway.bootstrap';
import { TopicReader } from './support/kafka-helpers';
import { bmp, makePdf, pngDeclaring, postJson, submitOcrJson, submitOcrMultipart, textImage } from './support/ocr-fixtures';
import { createStack, getJob, producedCount, waitTerminal, type TestStack } from './support/stack';

/**
 * Real OCR end to end on the CPU engine: images and PDFs go through the gateway's safety checks,
 * the claim-check store and Kafka to a `deepseek-ocr` worker running tesseract.js, and the text
 * drawn into them comes back in the polled result. Bad files are refused before anything is queued.
 */
describe('OCR on the tesseract backend', () => {
  let stack: TestStack;
  let gw: RunningGateway;
  const allJobTopics = POOLS.flatMap((pool) => PRIORITIES.map((p) => Topics.jobs(pool, p)));

  beforeAll(async () => {
    stack = await createStack({
      env: {
        // Small limits so the oversized cases stay small.
        MAX_UPLOAD_BYTES: '600000',
        OCR_MAX_FILE_BYTES: '400000',
        OCR_MAX_PDF_PAGES: '3',
      },
    });
    gw = await stack.startGateway();
    await Promise.all([stack.startWorker({ WORKER_POOL: 'deepseek-ocr', OCR_BACKEND: 'tesseract', OCR_TESSERACT_WORKERS: '2' }), stack.startRecorder()]);
  });
  afterAll(() => stack?.stop());

  const headers = (extra: Record<string, string> = {}) => stack.auth('ocr_app', extra);
  const ocrResult = async (id: string, timeoutMs = 60_000) => {
    const done = await waitTerminal(gw.url, id, timeoutMs);
    expect(done).toMatchObject({ status: 'succeeded', kind: 'ocr' });
    return done.result as OcrResult;
  };

  it('reads the text of an image sent as a JSON data URL (reference shape, 202 with the resolution)', async () => {
    const png = await textImage(['Gantry reads invoices', 'Total 4217 EUR']);
    const res = await submitOcrJson(gw.url, { bytes: png, type: 'image/png' }, 'Free OCR.', headers({ 'x-resolution': 'base', 'x-priority': 'high' }));
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ request_id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'queued', resolution: 'base', message: 'Request queued for OCR processing' });
    const t0 = Date.now();
    const result = await ocrResult(res.body.request_id as string);
    process.stdout.write(`tesseract: one 900x240 image, submit to result ${Date.now() - t0} ms\n`);
    expect(result).toMatchObject({ object: 'ocr.result', backend: 'tesseract', resolution: 'base', prompt: 'free', width: 900, height: 240 });
    expect(result.text).toContain('Gantry reads invoices');
    expect(result.text).toContain('Total 4217 EUR');
  });

  it('reads an image uploaded with multipart (curl -F) and returns line blocks with pixel boxes', async () => {
    const png = await textImage(['Quarterly summary', 'Shipped 318 parcels'], { width: 1000, lineHeight: 160, height: 400 });
    const res = await submitOcrMultipart(gw.url, { bytes: png, type: 'image/png', name: 'scan.png' }, { prompt: 'markdown' }, headers());
    expect(res.status).toBe(202);
    const result = await ocrResult(res.body.request_id as string);
    expect(result.text).toContain('Quarterly summary');
    expect(result.text).toContain('Shipped 318 parcels');
    const shipped = result.blocks.find((b) => b.text.includes('Shipped'));
    expect(shipped).toBeDefined();
    // The second line's baseline is at y=250 with 48 px glyphs: its box sits around there.
    const [x1, y1, x2, y2] = shipped!.box;
    expect(x1).toBeGreaterThanOrEqual(30);
    expect(x1).toBeLessThan(60);
    expect(x2).toBeGreaterThan(x1 + 300);
    expect(x2).toBeLessThanOrEqual(1000);
    expect(y1).toBeGreaterThan(200);
    expect(y2).toBeLessThan(270);
  });

  it('applies EXIF orientation before OCR and stores the image without its metadata', async () => {
    // Stored sideways with orientation 6 (display rotated 90° clockwise): readable only once turned.
    const upright = await textImage(['Rotated receipt 77']);
    const sideways = await sharp(upright).rotate(-90).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
    expect((await sharp(sideways).metadata()).orientation).toBe(6);
    const res = await submitOcrMultipart(gw.url, { bytes: sideways, type: 'image/jpeg', name: 'photo.jpg' }, { prompt: 'free' }, headers());
    expect(res.status).toBe(202);
    const result = await ocrResult(res.body.request_id as string);
    expect(result.text).toContain('Rotated receipt 77');
    expect([result.width, result.height]).toEqual([900, 160]);
    const { rows } = await stack.pg.query('SELECT b.data FROM blobs b WHERE b.request_id = $1', [res.body.request_id]);
    const stored = await sharp(rows[0].data as Buffer).metadata();
    expect(stored.orientation).toBeUndefined();
    expect(stored.exif).toBeUndefined();
    expect([stored.width, stored.height]).toEqual([900, 160]);
  });

  it('finds the words of a locate prompt', async () => {
    const png = await textImage(['Invoice number 5521', 'Due date soon']);
    const res = await submitOcrMultipart(gw.url, { bytes: png, type: 'image/png', name: 'inv.png' }, { prompt: 'locate', target: 'Due date' }, headers());
    expect(res.status).toBe(202);
    const result = await ocrResult(res.body.request_id as string);
    expect(result.prompt).toBe('locate');
    expect(result.blocks).toHaveLength(1);
    expect(result.blocks[0]).toMatchObject({ label: 'Due date', text: 'Due date' });
    const [, y1, , y2] = result.blocks[0].box;
    expect(y1).toBeGreaterThan(120);
    expect(y2).toBeLessThan(190);
  });

  it('turns a two-page PDF into one parent job and two page jobs, reassembled in page order', async () => {
    const pdf = makePdf(['Alpha page one', 'Bravo page two']);
    const jobs = await TopicReader.start<JobMessage>(stack, Topics.jobs('deepseek-ocr', 'low'));
    const res = await submitOcrMultipart(gw.url, { bytes: pdf, type: 'application/pdf', name: 'doc.pdf' }, { prompt: 'free' }, headers({ 'x-priority': 'low' }));
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'queued', pages: 2, message: 'Request queued for OCR processing' });
    const parentId = res.body.request_id as string;

    // One job per page, at the document's priority, each pointing at the one stored PDF.
    const pages = await jobs.waitForValues((j) => (j.request as { document?: { parent_id: string } }).document?.parent_id === parentId, 'page jobs', 2);
    await jobs.stop();
    const docs = pages.map((j) => (j.request as { document: { page: number; pages: number }; blob: { id: string } }));
    expect(docs.map((d) => d.document.page).sort()).toEqual([1, 2]);
    expect(new Set(docs.map((d) => d.blob.id)).size).toBe(1);
    expect(pages.every((j) => j.priority === 'low')).toBe(true);

    const t0 = Date.now();
    const done = await waitTerminal(gw.url, parentId, 90_000);
    process.stdout.write(`tesseract: two-page PDF at 150 dpi, submit to document result ${Date.now() - t0} ms\n`);
    expect(done.status).toBe('succeeded');
    const result = done.result as OcrDocumentResult;
    expect(result).toMatchObject({ object: 'ocr.document', pages: 2, succeeded: 2, failed: 0 });
    expect(result.page_results.map((p) => p.page)).toEqual([1, 2]);
    expect(result.page_results[0].text).toContain('Alpha page one');
    expect(result.page_results[1].text).toContain('Bravo page two');
    expect(result.text.indexOf('Alpha page one')).toBeGreaterThanOrEqual(0);
    expect(result.text.indexOf('Alpha page one')).toBeLessThan(result.text.indexOf('Bravo page two'));
    // Pages are rendered at 150 dpi: US Letter is 1275 × 1650.
    expect([result.page_results[0].width, result.page_results[0].height]).toEqual([1275, 1650]);
    expect(done.progress).toEqual({ pages: 2, queued: 0, running: 0, succeeded: 2, failed: 0, done: 2 });

    // The page jobs are jobs too, each with its page's result.
    const page2 = await getJob(gw.url, result.page_results[1].request_id);
    expect((page2.body.result as OcrResult).page).toBe(2);
    const { rows } = await stack.pg.query('SELECT count(*)::int AS n FROM jobs WHERE request_id = ANY($1::uuid[]) AND status = $2', [[parentId, ...result.page_results.map((p) => p.request_id)], 'succeeded']);
    expect(rows[0].n).toBe(3);
  });

  describe('bad files get a 4xx with a stable code and queue nothing', () => {
    const png = () => textImage(['x']);
    const jpeg = async () => sharp(await textImage(['Truncated text here', 'and more lines'])).jpeg({ quality: 90 }).toBuffer();
    const cases: Array<[string, () => Promise<{ status: number; body: Record<string, unknown> }>, number, string]> = [
      ['a small PNG declaring 20000×20000 pixels', async () => submitOcrJson(gw.url, { bytes: pngDeclaring(20000, 20000), type: 'image/png' }, 'Free OCR.', headers()), 400, 'image_dimensions_too_large'],
      ['a truncated JPEG', async () => {
        const j = await jpeg();
        return submitOcrMultipart(gw.url, { bytes: j.subarray(0, Math.floor(j.length * 0.6)), type: 'image/jpeg', name: 'cut.jpg' }, {}, headers());
      }, 400, 'invalid_image'],
      ['a text file named .png', async () => submitOcrMultipart(gw.url, { bytes: Buffer.from('just some notes, not a picture\n'), type: 'image/png', name: 'notes.png' }, {}, headers()), 400, 'invalid_image'],
      ['a BMP', async () => submitOcrMultipart(gw.url, { bytes: bmp(), type: 'image/bmp', name: 'x.bmp' }, {}, headers()), 415, 'unsupported_image_format'],
      ['an SVG', async () => submitOcrJson(gw.url, { bytes: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'), type: 'image/svg+xml' }, null, headers()), 415, 'unsupported_image_format'],
      ['a PNG sent as image/jpeg', async () => submitOcrJson(gw.url, { bytes: await png(), type: 'image/jpeg' }, null, headers()), 400, 'content_type_mismatch'],
      ['a body over MAX_UPLOAD_BYTES', async () => submitOcrJson(gw.url, { bytes: Buffer.alloc(500_000, 1), type: 'image/png' }, null, headers()), 413, 'payload_too_large'],
      ['a multipart body declaring more than MAX_UPLOAD_BYTES', async () => submitOcrMultipart(gw.url, { bytes: Buffer.alloc(650_000, 7), type: 'image/png', name: 'big.png' }, {}, headers()), 413, 'payload_too_large'],
      ['a file over OCR_MAX_FILE_BYTES', async () => submitOcrMultipart(gw.url, { bytes: Buffer.concat([await png(), Buffer.alloc(450_000)]), type: 'image/png', name: 'big.png' }, {}, headers()), 413, 'image_too_large'],
      ['an unknown X-Resolution', async () => submitOcrJson(gw.url, { bytes: await png(), type: 'image/png' }, null, headers({ 'x-resolution': 'ultra' })), 400, 'invalid_resolution'],
      ['no image part', async () => submitOcrJson(gw.url, null, 'Free OCR.', headers()), 400, 'missing_image'],
      ['a prompt DeepSeek-OCR does not know', async () => submitOcrJson(gw.url, { bytes: await png(), type: 'image/png' }, 'Write me a poem', headers()), 400, 'invalid_prompt'],
      ['locate without a target', async () => submitOcrMultipart(gw.url, { bytes: await png(), type: 'image/png', name: 'a.png' }, { prompt: 'locate' }, headers()), 400, 'invalid_prompt'],
      ['a remote image URL', async () => postJson(gw.url, JSON.stringify({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://169.254.169.254/x.png' } }] }] }), headers()), 400, 'invalid_request'],
      ['invalid base64', async () => postJson(gw.url, JSON.stringify({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,@@@@' } }] }] }), headers()), 400, 'invalid_image'],
      ['a chat model', async () => submitOcrJson(gw.url, { bytes: await png(), type: 'image/png' }, null, headers(), { model: 'gemma-3-4b-it' }), 404, 'model_not_found'],
      ['a broken PDF', async () => submitOcrMultipart(gw.url, { bytes: Buffer.from('%PDF-1.4\nthis is not really a pdf\n'), type: 'application/pdf', name: 'x.pdf' }, {}, headers()), 400, 'invalid_pdf'],
      ['a PDF over OCR_MAX_PDF_PAGES', async () => submitOcrMultipart(gw.url, { bytes: makePdf(['1', '2', '3', '4']), type: 'application/pdf', name: 'x.pdf' }, {}, headers()), 400, 'pdf_too_many_pages'],
      ['two files', async () => {
        const form = new FormData();
        form.append('file', new Blob([await png()], { type: 'image/png' }), 'a.png');
        form.append('file', new Blob([await png()], { type: 'image/png' }), 'b.png');
        const res = await fetch(`${gw.url}/api/ocr`, { method: 'POST', headers: headers(), body: form });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      }, 400, 'invalid_request'],
      ['an unknown multipart field', async () => submitOcrMultipart(gw.url, { bytes: await png(), type: 'image/png', name: 'a.png' }, { colour: 'red' }, headers()), 400, 'invalid_request'],
      ['a text/plain body', async () => {
        const res = await fetch(`${gw.url}/api/ocr`, { method: 'POST', headers: { ...headers(), 'content-type': 'text/plain' }, body: 'hello' });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      }, 415, 'unsupported_media_type'],
    ];

    it.each(cases)('%s', async (_name, send, status, code) => {
      const before = await producedCount(stack, [...allJobTopics, Topics.jobEvents]);
      const blobsBefore = (await stack.pg.query('SELECT count(*)::int AS n FROM blobs')).rows[0].n;
      const res = await send();
      expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
      expect(typeof res.body.detail).toBe('string');
      expect(await producedCount(stack, [...allJobTopics, Topics.jobEvents])).toBe(before);
      expect((await stack.pg.query('SELECT count(*)::int AS n FROM blobs')).rows[0].n).toBe(blobsBefore);
    });
  });
});
