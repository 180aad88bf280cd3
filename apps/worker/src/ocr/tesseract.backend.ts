import { Logger } from '@nestjs/common';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import Tesseract from 'tesseract.js';
import type { OcrBlock } from '@gantry/contracts';
import { BackendError } from '../backend/backend-error';
import { OcrBackend, type OcrInput, type OcrOutput } from './ocr-backend';

/** Tesseract gains nothing past this size and slows down a lot; bigger images are scaled down first. */
const MAX_SIDE = 4000;

/** English LSTM data shipped by `@tesseract.js-data/eng`: read from disk, never fetched. */
export function tesseractLangPath(): string {
  return join(dirname(require.resolve('@tesseract.js-data/eng/package.json')), '4.0.0_best_int');
}

type Box = [number, number, number, number];
const boxOf = (b: Tesseract.Bbox, k: number): Box => [Math.round(b.x0 * k), Math.round(b.y0 * k), Math.round(b.x1 * k), Math.round(b.y1 * k)];
const norm = (s: string) => s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');

/** Word runs of each line whose letters and digits spell the target (case and punctuation ignored). */
export function locateWords(lines: Array<{ words: Array<{ text: string; bbox: Tesseract.Bbox }> }>, target: string, k: number): OcrBlock[] {
  const want = norm(target);
  const blocks: OcrBlock[] = [];
  if (!want) return blocks;
  for (const line of lines) {
    const words = line.words;
    for (let i = 0; i < words.length; i++) {
      let joined = '';
      for (let j = i; j < words.length && joined.length < want.length; j++) {
        joined += norm(words[j].text);
        if (joined === want) {
          const run = words.slice(i, j + 1);
          const bbox = { x0: Math.min(...run.map((w) => w.bbox.x0)), y0: Math.min(...run.map((w) => w.bbox.y0)), x1: Math.max(...run.map((w) => w.bbox.x1)), y1: Math.max(...run.map((w) => w.bbox.y1)) };
          blocks.push({ label: target, text: run.map((w) => w.text).join(' '), box: boxOf(bbox, k) });
        }
        if (!want.startsWith(joined)) break;
      }
    }
  }
  return blocks;
}

/**
 * CPU OCR with tesseract.js: a scheduler over a small pool of engine workers (each a worker
 * thread with its own WebAssembly Tesseract). The embedded default when no DeepSeek-OCR server is
 * configured. Resolution modes do not apply (Tesseract reads best at full size); the prompt
 * chooses the output: paragraphs as text and lines as blocks (markdown, figure, free), or the
 * words matching a phrase (locate).
 */
export class TesseractOcrBackend extends OcrBackend {
  readonly name = 'tesseract' as const;
  readonly location = 'tesseract.js';
  private readonly log = new Logger(TesseractOcrBackend.name);

  private constructor(private readonly scheduler: Tesseract.Scheduler) {
    super();
  }

  static async create(workers: number): Promise<TesseractOcrBackend> {
    const scheduler = Tesseract.createScheduler();
    const langPath = tesseractLangPath();
    const created = await Promise.all(
      Array.from({ length: workers }, () => Tesseract.createWorker('eng', Tesseract.OEM.LSTM_ONLY, { langPath, cacheMethod: 'none', gzip: true })),
    );
    for (const w of created) scheduler.addWorker(w);
    return new TesseractOcrBackend(scheduler);
  }

  async recognize(input: OcrInput): Promise<OcrOutput> {
    let image = input.image;
    let k = 1;
    if (Math.max(input.width, input.height) > MAX_SIDE) {
      k = Math.max(input.width, input.height) / MAX_SIDE;
      image = await sharp(image).resize({ width: MAX_SIDE, height: MAX_SIDE, fit: 'inside' }).png().toBuffer();
    }
    let page: Tesseract.Page;
    try {
      ({ data: page } = await this.scheduler.addJob('recognize', image, {}, { text: true, blocks: true }));
    } catch (err) {
      // The same image fails the same way again: not worth a retry.
      throw BackendError.internal('backend_error', `tesseract failed: ${err instanceof Error ? err.message : String(err)}`, false, err);
    }
    const paragraphs = (page.blocks ?? []).flatMap((b) => b.paragraphs);
    const { request } = input;
    if (request.prompt === 'locate') {
      const blocks = locateWords(paragraphs.flatMap((p) => p.lines), request.target ?? '', k);
      return { model: 'tesseract', text: blocks.map((b) => b.text).join('\n'), blocks };
    }
    // One block per line: Tesseract's paragraphs merge lines that are far apart.
    const blocks: OcrBlock[] = paragraphs
      .flatMap((p) => p.lines)
      .map((l) => ({ label: 'text', text: l.text.trim(), box: boxOf(l.bbox, k) }))
      .filter((b) => b.text !== '');
    const text =
      request.prompt === 'free'
        ? page.text.trim()
        : paragraphs
            .map((p) => p.text.trim())
            .filter((t) => t !== '')
            .join('\n\n');
    return { model: 'tesseract', text, blocks };
  }

  override async close(): Promise<void> {
    await this.scheduler.terminate().catch((err: unknown) => this.log.warn({ msg: 'tesseract did not stop cleanly', err: String(err) }));
  }
}
