import type { BlobRef } from '@gantry/contracts';

/**
 * Claim-check port (DESIGN.md §2): large payloads are stored once and messages carry the
 * reference. The Postgres implementation is the default; an S3-compatible one can replace it
 * behind the same methods.
 */
export abstract class BlobStore {
  /** Stores `bytes` for job `requestId` (for a PDF: the parent job) and returns the reference. */
  abstract put(requestId: string, bytes: Buffer, contentType: string): Promise<BlobRef>;

  /** The stored bytes, or null when the blob is gone (retention) or unknown. Callers check the digest. */
  abstract get(id: string): Promise<Buffer | null>;

  abstract delete(id: string): Promise<void>;

  /**
   * Deletes up to `limit` blobs whose job finished more than `retentionSeconds` ago, and blobs
   * whose job never appeared after `orphanSeconds` (a submit that failed after storing); returns
   * how many were deleted.
   */
  abstract removeExpired(retentionSeconds: number, orphanSeconds: number, limit: number): Promise<number>;
}
