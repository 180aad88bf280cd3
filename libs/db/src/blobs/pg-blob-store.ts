import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { BlobRef } from '@gantry/contracts';
import { returnedRows } from '../query-result';
import { BlobStore } from './blob-store';

export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** `blobs` table: bytes in a bytea column, one row per stored file. */
@Injectable()
export class PgBlobStore extends BlobStore {
  constructor(@InjectDataSource() private readonly ds: DataSource) {
    super();
  }

  async put(requestId: string, bytes: Buffer, contentType: string): Promise<BlobRef> {
    const ref: BlobRef = { id: randomUUID(), sha256: sha256Hex(bytes), content_type: contentType, size: bytes.length };
    await this.ds.query('INSERT INTO blobs (id, sha256, content_type, size_bytes, data, request_id) VALUES ($1, $2, $3, $4, $5, $6)', [
      ref.id,
      ref.sha256,
      ref.content_type,
      ref.size,
      bytes,
      requestId,
    ]);
    return ref;
  }

  async get(id: string): Promise<Buffer | null> {
    const rows: Array<{ data: Buffer }> = await this.ds.query('SELECT data FROM blobs WHERE id = $1', [id]);
    return rows.length ? rows[0].data : null;
  }

  async delete(id: string): Promise<void> {
    await this.ds.query('DELETE FROM blobs WHERE id = $1', [id]);
  }

  async removeExpired(retentionSeconds: number, orphanSeconds: number, limit: number): Promise<number> {
    const rows = returnedRows<{ id: string }>(await this.ds.query(
      `WITH expired AS (
         (SELECT b.id FROM blobs b JOIN jobs j ON j.request_id = b.request_id
           WHERE j.status_rank = 2 AND j.finished_at < now() - make_interval(secs => $1)
           LIMIT $3)
         UNION ALL
         (SELECT b.id FROM blobs b
           WHERE b.created_at < now() - make_interval(secs => $2)
             AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.request_id = b.request_id)
           LIMIT $3))
       DELETE FROM blobs WHERE id IN (SELECT id FROM expired) RETURNING id`,
      [retentionSeconds, orphanSeconds, limit],
    ));
    return rows.length;
  }
}
