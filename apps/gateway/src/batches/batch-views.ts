import type { BatchRow } from '@gantry/db';

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);
const ENDED = new Set(['completed', 'failed', 'expired', 'cancelled']);

export const batchEnded = (b: Pick<BatchRow, 'status'>): boolean => ENDED.has(b.status);

/** Gantry's own view of a batch (`/api/batches`): progress, dedup, timestamps and where to go next. */
export function batchView(b: BatchRow) {
  const valid = b.total - b.invalid;
  const base = `/api/batches/${b.id}`;
  return {
    batch_id: b.id,
    status: b.status,
    endpoint: b.endpoint,
    priority: b.priority,
    client_id: b.client_id,
    metadata: b.metadata,
    webhook: b.webhook,
    request_counts: { total: b.total, completed: b.completed, failed: b.failed, invalid: b.invalid, pending: Math.max(0, b.total - b.completed - b.failed) },
    dedup: { unique_requests: b.unique_requests, duplicate_requests: Math.max(0, valid - b.unique_requests) },
    usage: b.usage,
    errors: b.errors ?? [],
    input_file_id: b.input_file_id,
    output_file_id: b.output_file_id,
    error_file_id: b.error_file_id,
    created_at: iso(b.created_at),
    in_progress_at: iso(b.in_progress_at),
    expires_at: iso(b.expires_at),
    finalizing_at: iso(b.finalizing_at),
    completed_at: iso(b.completed_at),
    failed_at: iso(b.failed_at),
    expired_at: iso(b.expired_at),
    cancelling_at: iso(b.cancelling_at),
    cancelled_at: iso(b.cancelled_at),
    links: { self: base, results: `${base}/results`, errors: `${base}/errors`, cancel: `${base}/cancel` },
  };
}
