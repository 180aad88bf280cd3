import type { Usage } from './jobs';

/**
 * DeepSeek-OCR resolution modes (reference/002). `size` is the longest side the worker resizes an
 * image to before it goes to the model; `visionTokens` what the mode costs the model per image
 * (gundam: 100 per 640 tile plus 256 for the 1024 global view, so it varies with the image).
 */
export const OCR_RESOLUTIONS = ['tiny', 'small', 'base', 'large', 'gundam'] as const;
export type OcrResolution = (typeof OCR_RESOLUTIONS)[number];

export const OCR_MODE_SPECS: Record<OcrResolution, { size: number; visionTokens: number | null }> = {
  tiny: { size: 512, visionTokens: 64 },
  small: { size: 640, visionTokens: 100 },
  base: { size: 1024, visionTokens: 256 },
  large: { size: 1280, visionTokens: 400 },
  // Tiles of 640 plus a 1024 global view; `size` caps the longest side (6 tiles across at most).
  gundam: { size: 3840, visionTokens: null },
};

/** Gundam tiling as DeepSeek-OCR does it: a 640 tile grid of 2 to 6 tiles, plus the global view. */
export const GUNDAM_TILE = 640;
export const GUNDAM_GLOBAL_TOKENS = 256;
export const GUNDAM_TILE_TOKENS = 100;

/**
 * Prompt variants of DeepSeek-OCR. The model works best with its own plain prompts, so clients
 * choose a variant instead of free text; `locate` takes a target phrase.
 */
export const OCR_PROMPTS = ['markdown', 'free', 'figure', 'locate'] as const;
export type OcrPrompt = (typeof OCR_PROMPTS)[number];

/**
 * The prompt text of each variant as sent to vLLM's chat API. vLLM's chat template puts the
 * image placeholder in front (`<image>\n` + text), so the text part carries no `<image>`.
 */
export function ocrPromptText(prompt: OcrPrompt, target?: string): string {
  switch (prompt) {
    case 'markdown':
      return '<|grounding|>Convert the document to markdown.';
    case 'free':
      return 'Free OCR.';
    case 'figure':
      return 'Parse the figure.';
    case 'locate':
      return `Locate <|ref|>${target ?? ''}<|/ref|> in the image.`;
  }
}

/** Longest `locate` target accepted. */
export const OCR_TARGET_MAX = 200;

/**
 * Reads a client's prompt text (with or without DeepSeek's `<image>\n` prefix) or a variant name;
 * returns null for text that is none of DeepSeek-OCR's prompts.
 */
export function parseOcrPrompt(text: string): { prompt: OcrPrompt; target?: string } | null {
  const t = text.replace(/^\s*<image>\s*/, '').trim();
  if (t === '') return { prompt: 'markdown' };
  const name = t.toLowerCase();
  if ((OCR_PROMPTS as readonly string[]).includes(name) && name !== 'locate') return { prompt: name as OcrPrompt };
  if (/^(<\|grounding\|>\s*)?convert the document to markdown\.?$/i.test(t)) return { prompt: 'markdown' };
  if (/^(<\|grounding\|>\s*)?free ocr\.?$/i.test(t)) return { prompt: 'free' };
  if (/^parse the figure\.?$/i.test(t)) return { prompt: 'figure' };
  const locate = /^(?:<\|grounding\|>\s*)?locate <\|ref\|>([\s\S]+?)<\|\/ref\|> in the image\.?$/i.exec(t);
  if (locate) {
    const target = locate[1].trim();
    return target && target.length <= OCR_TARGET_MAX ? { prompt: 'locate', target } : null;
  }
  return null;
}

/** Claim-check reference: the bytes live in the blob store, the message carries id and digest. */
export interface BlobRef {
  id: string;
  /** Hex sha256 of the stored bytes; the worker checks it before use. */
  sha256: string;
  content_type: string;
  size: number;
}

/** Where a PDF page job belongs: its parent document job and its page (1-based). */
export interface OcrPageOf {
  parent_id: string;
  page: number;
  pages: number;
}

/** `request` of an OCR job message. */
export interface OcrRequest {
  model: string;
  blob: BlobRef;
  resolution: OcrResolution;
  /** `header`: chosen by the client; `pool_default`: the pool's setting at submit (see control state). */
  resolution_source: 'header' | 'pool_default';
  prompt: OcrPrompt;
  target?: string;
  max_tokens?: number;
  /** Set for one page of a PDF: the blob is the whole PDF and the worker renders this page. */
  document?: OcrPageOf;
}

/** A recognised region, in pixels of the image the client sent (after orientation was applied). */
export interface OcrBlock {
  /** DeepSeek's region label (`text`, `title`, `table`, `image`, …) or the located phrase. */
  label: string;
  text: string;
  /** `[x1, y1, x2, y2]`, top-left origin. */
  box: [number, number, number, number];
}

/** `result` of a succeeded OCR job (one image or one PDF page). */
export interface OcrResult {
  object: 'ocr.result';
  model: string;
  backend: 'vllm' | 'tesseract';
  resolution: OcrResolution;
  prompt: OcrPrompt;
  /** Markdown (or plain text for `free`), grounding tags removed. */
  text: string;
  blocks: OcrBlock[];
  /** Size of the image the boxes refer to (the rendered page for PDFs). */
  width: number;
  height: number;
  /** 1-based page for a PDF page job. */
  page?: number;
  /** The model's answer as it came, special tokens included (vLLM only). */
  raw?: string;
  usage?: Usage;
}

/** One page inside a document result. */
export interface OcrDocumentPage {
  page: number;
  request_id: string;
  status: string;
  text: string | null;
  blocks: OcrBlock[];
  width: number | null;
  height: number | null;
  error: { code: string; message: string } | null;
}

/** `result` of a PDF parent job once every page is finished: pages in order and their text joined. */
export interface OcrDocumentResult {
  object: 'ocr.document';
  pages: number;
  succeeded: number;
  failed: number;
  text: string;
  page_results: OcrDocumentPage[];
}

/** Page progress shown when polling a PDF parent job. */
export interface OcrDocumentProgress {
  pages: number;
  queued: number;
  running: number;
  succeeded: number;
  failed: number;
  /** Pages in a terminal state (succeeded, failed, cancelled, expired). */
  done: number;
}
