import type { OcrBlock } from '@gantry/contracts';

/**
 * DeepSeek-OCR's grounding output: each region is `<|ref|>label<|/ref|><|det|>[[x1, y1, x2, y2], …]<|/det|>`
 * followed by its content up to the next region. Coordinates are normalised to 0–999 over the
 * image the model saw; since the worker only scales images (never pads or crops them), the same
 * fractions hold on the original, and `x / 999 × width` is the pixel on it.
 */
const REGION = /<\|ref\|>([\s\S]*?)<\|\/ref\|>\s*<\|det\|>([\s\S]*?)<\|\/det\|>/g;
/** Special tokens that may remain with `skip_special_tokens: false`. */
const SPECIAL = /<｜end▁of▁sentence｜>|<\|end▁of▁sentence\|>|<｜begin▁of▁sentence｜>/g;
const GROUNDING = /<\|grounding\|>/g;

export interface ParsedGrounding {
  /** The answer without region tags: markdown for the markdown prompt, plain text for free OCR. */
  text: string;
  blocks: OcrBlock[];
}

const clamp = (v: number, max: number) => Math.min(max, Math.max(0, v));

/** `[[x1,y1,x2,y2],…]` → boxes; malformed lists give none rather than failing the page. */
function parseBoxes(det: string): Array<[number, number, number, number]> {
  let value: unknown;
  try {
    value = JSON.parse(det.trim());
  } catch {
    return [];
  }
  if (!Array.isArray(value)) return [];
  const list = value.length === 4 && value.every((n) => typeof n === 'number') ? [value] : value;
  return list.filter(
    (b): b is [number, number, number, number] => Array.isArray(b) && b.length === 4 && b.every((n) => typeof n === 'number' && Number.isFinite(n)),
  );
}

export function toPixels(box: [number, number, number, number], width: number, height: number): [number, number, number, number] {
  const [x1, y1, x2, y2] = box;
  const px = (v: number, size: number) => Math.round((clamp(v, 999) / 999) * size);
  return [px(Math.min(x1, x2), width), px(Math.min(y1, y2), height), px(Math.max(x1, x2), width), px(Math.max(y1, y2), height)];
}

export function parseGrounding(raw: string, width: number, height: number): ParsedGrounding {
  const answer = raw.replace(SPECIAL, '');
  const regions = [...answer.matchAll(REGION)];
  const blocks: OcrBlock[] = [];
  regions.forEach((m, i) => {
    const start = (m.index ?? 0) + m[0].length;
    const end = i + 1 < regions.length ? (regions[i + 1].index ?? answer.length) : answer.length;
    const label = m[1].trim();
    const text = answer.slice(start, end).trim();
    for (const box of parseBoxes(m[2])) blocks.push({ label, text, box: toPixels(box, width, height) });
  });
  const text = answer
    .replace(REGION, '')
    .replace(GROUNDING, '')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return { text, blocks };
}
