// Deterministic pseudo-text for the vLLM simulator.
//
// Everything here is a pure function of its inputs: the same (seed, request) always
// produces the same words, so tests can compare answers across runs and processes.

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Longest string hashed char by char; longer ones (base64 images) are sampled. */
const FULL_HASH_LIMIT = 2048;

/** FNV-1a over a string's UTF-16 code units, continuing from `h`. */
export function fnv1a(str: string, h: number = FNV_OFFSET): number {
  const len = str.length;
  if (len <= FULL_HASH_LIMIT) {
    for (let i = 0; i < len; i++) h = Math.imul(h ^ str.charCodeAt(i), FNV_PRIME);
    return h >>> 0;
  }
  // Large strings (e.g. data: URLs of images): length + head + tail + a strided sample.
  // Still deterministic, but O(FULL_HASH_LIMIT) instead of O(len) per request.
  h = fnvInt(h, len);
  const edge = FULL_HASH_LIMIT >> 2;
  for (let i = 0; i < edge; i++) h = Math.imul(h ^ str.charCodeAt(i), FNV_PRIME);
  for (let i = len - edge; i < len; i++) h = Math.imul(h ^ str.charCodeAt(i), FNV_PRIME);
  const step = Math.ceil(len / (FULL_HASH_LIMIT >> 1));
  for (let i = edge; i < len - edge; i += step) h = Math.imul(h ^ str.charCodeAt(i), FNV_PRIME);
  return h >>> 0;
}

/** Mixes a 32-bit integer (four bytes) into an FNV-1a state. */
export function fnvInt(h: number, n: number): number {
  n |= 0;
  h = Math.imul(h ^ (n & 0xff), FNV_PRIME);
  h = Math.imul(h ^ ((n >>> 8) & 0xff), FNV_PRIME);
  h = Math.imul(h ^ ((n >>> 16) & 0xff), FNV_PRIME);
  h = Math.imul(h ^ (n >>> 24), FNV_PRIME);
  return h >>> 0;
}

/** Murmur3 finaliser: spreads FNV's weak low bits before they are used with `%`. */
export function avalanche(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export const FNV_INIT = FNV_OFFSET;

/** Uniform-ish number in [0, 1) from (seed, n): used for the deterministic failRate. */
export function unitFloat(seed: number, n: number): number {
  return avalanche(fnvInt(fnvInt(FNV_OFFSET ^ 0x5bd1e995, seed), n)) / 4294967296;
}

// 64 words: a token is picked with `& 63`.
const VOCAB: readonly string[] = [
  'the', 'model', 'token', 'answer', 'vector', 'quiet', 'river', 'stone',
  'light', 'green', 'signal', 'queue', 'worker', 'batch', 'cache', 'layer',
  'north', 'paper', 'window', 'garden', 'simple', 'engine', 'orange', 'planet',
  'silver', 'market', 'number', 'letter', 'morning', 'thread', 'bridge', 'cloud',
  'of', 'and', 'to', 'in', 'is', 'for', 'with', 'on',
  'a', 'it', 'as', 'by', 'at', 'from', 'this', 'that',
  'data', 'page', 'line', 'text', 'image', 'table', 'field', 'value',
  'result', 'request', 'server', 'record', 'sample', 'state', 'order', 'event',
];

/**
 * Returns `count` tokens: the first is a bare word, the rest carry a leading space, so
 * `tokens.join('')` is the full content (as vLLM's stream deltas concatenate).
 */
export function generateTokens(hash: number, count: number): string[] {
  const out = new Array<string>(count);
  let x = hash | 0 || 0x9e3779b9;
  for (let i = 0; i < count; i++) {
    // xorshift32
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const w = VOCAB[(x >>> 7) & 63];
    out[i] = i === 0 ? w.charAt(0).toUpperCase() + w.slice(1) : ' ' + w;
  }
  return out;
}
