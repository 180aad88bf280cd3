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
