import type { BatchRow, FileRow } from '@gantry/db';

const secs = (d: Date | null): number | null => (d ? Math.floor(new Date(d).getTime() / 1000) : null);

/** OpenAI's file object. */
export function fileObject(f: FileRow) {
  return {
    id: f.id,
    object: 'file' as const,
    bytes: Number(f.bytes),
    created_at: secs(f.created_at)!,
    filename: f.filename,
    purpose: f.purpose,
    status: 'processed' as const,
    status_details: null,
    expires_at: null,
  };
}

/**
 * OpenAI's batch object. `dedup` is Gantry's own addition (SDKs ignore unknown fields): how many
 * requests actually ran, and how many lines reused another line's result.
 */
export function batchObject(b: BatchRow) {
  const valid = b.total - b.invalid;
  return {
    id: b.id,
    object: 'batch' as const,
    endpoint: b.endpoint,
    errors: b.errors?.length ? { object: 'list' as const, data: b.errors } : null,
    input_file_id: b.input_file_id,
    completion_window: b.completion_window,
    status: b.status,
    output_file_id: b.output_file_id,
    error_file_id: b.error_file_id,
    created_at: secs(b.created_at)!,
    in_progress_at: secs(b.in_progress_at),
    expires_at: secs(b.expires_at),
    finalizing_at: secs(b.finalizing_at),
    completed_at: secs(b.completed_at),
    failed_at: secs(b.failed_at),
    expired_at: secs(b.expired_at),
    cancelling_at: secs(b.cancelling_at),
    cancelled_at: secs(b.cancelled_at),
    request_counts: { total: b.total, completed: b.completed, failed: b.failed },
    usage: b.usage
      ? {
          input_tokens: b.usage.input_tokens,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: b.usage.output_tokens,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: b.usage.total_tokens,
        }
      : null,
    metadata: b.metadata,
    priority: b.priority,
    dedup: { unique_requests: b.unique_requests, duplicate_requests: Math.max(0, valid - b.unique_requests) },
  };
}
