import { estimate, optimize, similarity, similarPairs } from './prompt-similarity';

describe('prompt similarity', () => {
  it('scores identical text 1, related text high, unrelated text low', () => {
    expect(similarity('Write code', 'write   CODE')).toBeCloseTo(1, 6);
    expect(similarity('Summarize this article about cats', 'Summarize this article about dogs')).toBeGreaterThan(0.7);
    expect(similarity('Write code', 'Translate the poem into French')).toBeLessThan(0.3);
    expect(similarity('', '')).toBe(1);
  });

  it('lists only pairs at or above the threshold', () => {
    const r = similarPairs(['Summarize this article about cats', 'Summarize this article about dogs', 'What is 2+2?'], 0.7);
    expect(r.matches.map((m) => [m.prompt1_index, m.prompt2_index])).toEqual([[0, 1]]);
    expect(r.total_matches).toBe(1);
    expect(similarPairs(['a b c', 'x y z'], 0).total_matches).toBe(1);
  });

  it('groups exact duplicates, and near-duplicates only when asked', () => {
    const prompts = ['prompt1', 'prompt2', 'prompt1', 'Prompt 1!'];
    const exact = optimize(prompts, undefined, false);
    expect(exact.optimization_map[0]).toBe(exact.optimization_map[2]);
    expect(exact.stats).toEqual({ original_prompts: 4, grouped_prompts: 3, api_calls_saved: 1, cost_savings_percentage: 25 });
    const near = optimize(['Summarize this long article about the cats of Rome', 'Summarize this long article about the cats of Rome.', 'Unrelated'], undefined, true);
    expect(near.stats.grouped_prompts).toBe(2);
    expect(estimate(['prompt1', 'prompt1', 'prompt2'])).toEqual({ original_count: 3, estimated_optimized_count: 2, api_calls_saved: 1, cost_savings_percentage: 33.3 });
  });
});
