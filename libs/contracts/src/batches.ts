import type { JobKind } from './jobs';
import type { PoolName } from './topics';

/**
 * Message on `gantry.batches.v1`: a validated batch is ready to be expanded into child jobs. It
 * names the batch only; the lines stay in Postgres (never whole in Kafka).
 */
export interface BatchMessage {
  schema: 1;
  batch_id: string;
  client_id: string;
}

export function isBatchMessage(value: unknown): value is BatchMessage {
  const v = value as Partial<BatchMessage> | null;
  return typeof v === 'object' && v !== null && v.schema === 1 && typeof v.batch_id === 'string' && typeof v.client_id === 'string';
}

/** What a batch endpoint runs as: the child jobs' kind and pool. */
export const BATCH_ENDPOINT_TARGETS = {
  '/v1/chat/completions': { kind: 'chat', pool: 'gemma' },
  '/api/ocr': { kind: 'ocr', pool: 'deepseek-ocr' },
} as const satisfies Record<string, { kind: JobKind; pool: PoolName }>;
export type BatchEndpoint = keyof typeof BATCH_ENDPOINT_TARGETS;
export const BATCH_ENDPOINTS = Object.keys(BATCH_ENDPOINT_TARGETS) as BatchEndpoint[];

export function batchTarget(endpoint: string): { kind: JobKind; pool: PoolName } {
  return BATCH_ENDPOINT_TARGETS[endpoint as BatchEndpoint] ?? BATCH_ENDPOINT_TARGETS['/v1/chat/completions'];
}
