// DeepSeek-OCR on the simulator: a request with an image for an OCR model is answered the way
// DeepSeek-OCR answers, deterministically from the image bytes and the prompt, and costs the
// vision tokens its resolution mode would (inferred from the size of the image sent).

import { headerDimensions } from '@gantry/media';
import { avalanche, fnv1a, generateTokens } from './tokens';

export type OcrVariant = 'markdown' | 'free' | 'figure' | 'locate' | 'other';

export interface OcrImage {
  width: number;
  height: number;
  /** Hash of the data URL: the same image always reads the same. */
  hash: number;
}

/** An OCR model is any served id naming OCR (e.g. deepseek-ai/DeepSeek-OCR). */
export function isOcrModel(model: string): boolean {
  return /ocr/i.test(model);
}

export function ocrVariant(prompt: string): { variant: OcrVariant; target?: string } {
  const t = prompt.replace(/^\s*<image>\s*/, '').trim();
  const locate = /locate <\|ref\|>([\s\S]*?)<\|\/ref\|>/i.exec(t);
  if (locate) return { variant: 'locate', target: locate[1] };
  if (/<\|grounding\|>/.test(t) || /convert the document to markdown/i.test(t)) return { variant: 'markdown' };
  if (/^free ocr\.?$/i.test(t)) return { variant: 'free' };
  if (/^parse the figure\.?$/i.test(t)) return { variant: 'figure' };
  return { variant: 'other' };
}

/** Width and height of a base64 PNG or JPEG data URL, read from its header only. */
export function ocrImage(url: string): OcrImage | null {
  const comma = url.indexOf(',');
  if (!url.startsWith('data:') || comma < 0 || !url.slice(0, comma).includes(';base64')) return null;
  // 64 KiB of base64 covers the PNG header and any JPEG's frame header after its EXIF.
  const b64 = url.slice(comma + 1, comma + 1 + 87_384).replace(/[^A-Za-z0-9+/]/g, '');
  const head = Buffer.from(b64.slice(0, b64.length - (b64.length % 4)), 'base64');
  const size = headerDimensions(head);
  return size ? { ...size, hash: fnv1a(url) } : null;
}

/** DeepSeek-OCR's gundam grid: 2–6 tiles of 640 whose aspect ratio is closest to the image's. */
export function gundamTiles(width: number, height: number): number {
  const aspect = width / height;
  let best = { n: 2, diff: Infinity };
  for (let i = 1; i <= 6; i++) {
    for (let j = 1; i * j <= 6; j++) {
      const n = i * j;
      if (n < 2) continue;
      const diff = Math.abs(aspect - i / j);
      if (diff < best.diff - 1e-9 || (Math.abs(diff - best.diff) < 1e-9 && n > best.n)) best = { n, diff };
    }
  }
  return best.n;
}

/**
 * Vision tokens of the mode an image of this size is sent in: tiny (≤512) 64, small (≤640) 100,
 * base (≤1024) 256, large (≤1280) 400; larger is gundam: 100 per 640 tile plus 256 for the
 * 1024 global view.
 */
export function visionTokens(width: number, height: number): number {
  const longest = Math.max(width, height);
  if (longest <= 512) return 64;
  if (longest <= 640) return 100;
  if (longest <= 1024) return 256;
  if (longest <= 1280) return 400;
  return 256 + 100 * gundamTiles(width, height);
}

const words = (hash: number, n: number) => generateTokens(hash, n).join('');

/** Region boxes (0–999) for `n` stacked regions, varied by the image hash. */
function regionBox(hash: number, i: number, n: number): [number, number, number, number] {
  const h = avalanche(hash ^ (0x9e3779b9 * (i + 1)));
  const band = Math.floor(1000 / n);
  const y1 = i * band + 10 + (h % 10);
  const y2 = Math.min(999, (i + 1) * band - 10 - ((h >>> 8) % 10));
  const x1 = 20 + ((h >>> 16) % 80);
  const x2 = 999 - 20 - ((h >>> 24) % 80);
  return [x1, y1, x2, y2];
}

const det = (b: [number, number, number, number]) => `<|det|>[[${b.join(', ')}]]<|/det|>`;

/** The answer DeepSeek-OCR would give (grounding format for markdown and locate). */
export function ocrAnswer(image: OcrImage, variant: OcrVariant, target?: string): string {
  const h = image.hash;
  switch (variant) {
    case 'markdown': {
      const n = 2 + (avalanche(h) % 3);
      const out: string[] = [];
      for (let i = 0; i < n; i++) {
        const label = i === 0 ? 'title' : i === n - 1 && n > 3 ? 'table' : 'text';
        const body =
          label === 'title'
            ? `# ${words(h + i, 3)}`
            : label === 'table'
              ? `<table><tr><td>${words(h + i, 1)}</td><td>${words(h + i + 7, 1)}</td></tr></table>`
              : words(h + i, 8 + (avalanche(h + i) % 8));
        out.push(`<|ref|>${label}<|/ref|>${det(regionBox(h, i, n))}\n${body}`);
      }
      return out.join('\n\n');
    }
    case 'locate':
      return `<|ref|>${target ?? ''}<|/ref|>${det(regionBox(h, avalanche(h) % 3, 3))}`;
    case 'figure':
      return `The figure shows ${words(h, 12)}.`;
    case 'free':
    case 'other':
      return `${words(h, 6)}\n${words(h + 1, 6)}`;
  }
}

/** An answer cut into tokens the way a stream would deliver them (joined, they are the answer). */
export function ocrTokens(answer: string): string[] {
  return answer.match(/\s*\S+/g) ?? [];
}
