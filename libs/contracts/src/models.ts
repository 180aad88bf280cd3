import type { PoolName } from './topics';

/**
 * Public model names and the pool that serves each. The first alias of a pool is the name sent
 * to its backend (vLLM's `--served-model-name`).
 */
export const MODEL_ALIASES: Record<string, PoolName> = {
  'gemma-3-4b-it': 'gemma',
  'google/gemma-3-4b-it': 'gemma',
  gemma: 'gemma',
  'deepseek-ai/DeepSeek-OCR': 'deepseek-ocr',
  'deepseek-ocr': 'deepseek-ocr',
};

export const BACKEND_MODEL: Record<PoolName, string> = {
  gemma: 'gemma-3-4b-it',
  'deepseek-ocr': 'deepseek-ai/DeepSeek-OCR',
};

export function poolOfModel(model: string): PoolName | undefined {
  return Object.prototype.hasOwnProperty.call(MODEL_ALIASES, model) ? MODEL_ALIASES[model] : undefined;
}
