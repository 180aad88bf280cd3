import { createHash } from 'node:crypto';

/** Near-duplicate grouping in `optimize` uses this when `detect_similar` is on. */
export const DEFAULT_SIMILAR_THRESHOLD = 0.9;

const normalize = (text: string) => text.toLowerCase().replace(/\s+/g, ' ').trim();

/** Character trigram counts of the normalized text (padded, so short words still count). */
export function trigramVector(text: string): Map<string, number> {
  const t = ` ${normalize(text)} `;
  const v = new Map<string, number>();
  for (let i = 0; i + 3 <= t.length; i++) {
    const g = t.slice(i, i + 3);
    v.set(g, (v.get(g) ?? 0) + 1);
  }
  return v;
}

/** Cosine similarity of two trigram vectors, 0..1 (1 = same trigram profile). */
export function cosine(a: Map<string, number>, b: Map<string, number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (const [g, x] of a) {
    na += x * x;
    const y = b.get(g);
    if (y) dot += x * y;
  }
  for (const y of b.values()) nb += y * y;
  return na && nb ? dot / Math.sqrt(na * nb) : na === nb ? 1 : 0;
}

export function similarity(a: string, b: string): number {
  return cosine(trigramVector(a), trigramVector(b));
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Identical prompts (after whitespace normalization, with the same system message) share a hash. */
export function promptHash(prompt: string, systemMessage = ''): string {
  return createHash('sha256').update(`${systemMessage}\u0000${prompt.replace(/\s+/g, ' ').trim()}`).digest('hex').slice(0, 16);
}

/** `/api/ai/batch/optimize`: one call per group; with `detectSimilar`, near-duplicates join the first similar group. */
export function optimize(prompts: string[], systemMessage: string | undefined, detectSimilar: boolean, threshold = DEFAULT_SIMILAR_THRESHOLD) {
  const map: Record<number, string> = {};
  const groups: Record<string, number[]> = {};
  const leaders: Array<{ hash: string; vector: Map<string, number> }> = [];
  prompts.forEach((p, i) => {
    let hash = promptHash(p, systemMessage);
    if (!groups[hash] && detectSimilar) {
      const vector = trigramVector(p);
      const near = leaders.find((l) => cosine(l.vector, vector) >= threshold);
      if (near) hash = near.hash;
      else leaders.push({ hash, vector });
    } else if (!groups[hash]) {
      leaders.push({ hash, vector: new Map() });
    }
    map[i] = hash;
    (groups[hash] ??= []).push(i);
  });
  const grouped = Object.keys(groups).length;
  return {
    optimization_map: map,
    grouped_prompts: groups,
    stats: {
      original_prompts: prompts.length,
      grouped_prompts: grouped,
      api_calls_saved: prompts.length - grouped,
      cost_savings_percentage: prompts.length ? round(((prompts.length - grouped) / prompts.length) * 100, 1) : 0,
    },
  };
}

/** `/api/ai/batch/estimate`: savings of exact deduplication. */
export function estimate(prompts: string[]) {
  const unique = new Set(prompts.map((p) => promptHash(p))).size;
  return {
    original_count: prompts.length,
    estimated_optimized_count: unique,
    api_calls_saved: prompts.length - unique,
    cost_savings_percentage: prompts.length ? round(((prompts.length - unique) / prompts.length) * 100, 1) : 0,
  };
}

/** `/api/ai/batch/similarity`: every pair at or above the threshold. */
export function similarPairs(prompts: string[], threshold: number) {
  const vectors = prompts.map(trigramVector);
  const matches: Array<{ prompt1_index: number; prompt2_index: number; similarity_score: number; is_match: true }> = [];
  for (let i = 0; i < vectors.length; i++) {
    for (let j = i + 1; j < vectors.length; j++) {
      const score = cosine(vectors[i], vectors[j]);
      if (score >= threshold) matches.push({ prompt1_index: i, prompt2_index: j, similarity_score: round(score, 4), is_match: true });
    }
  }
  return { similarity_threshold: threshold, matches, total_matches: matches.length };
}
