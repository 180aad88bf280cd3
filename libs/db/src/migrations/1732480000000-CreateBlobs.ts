import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Claim-check storage (DESIGN.md §2): image and PDF bytes stored once, referenced by Kafka
 * messages through id + sha256. `ocr_documents` lists the page jobs of a PDF in page order.
 */
export class CreateBlobs1732480000000 implements MigrationInterface {
  name = 'CreateBlobs1732480000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE blobs (
        id           uuid PRIMARY KEY,
        sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        content_type text NOT NULL,
        size_bytes   int NOT NULL CHECK (size_bytes > 0),
        data         bytea NOT NULL,
        request_id   uuid NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX blobs_request_idx ON blobs (request_id)`);
    await q.query(`CREATE INDEX blobs_created_idx ON blobs (created_at)`);
    await q.query(`
      CREATE TABLE ocr_documents (
        request_id uuid PRIMARY KEY,
        client_id  text NOT NULL,
        blob_id    uuid NOT NULL,
        pages      int NOT NULL CHECK (pages > 0),
        page_ids   uuid[] NOT NULL CHECK (cardinality(page_ids) = pages),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ocr_documents`);
    await q.query(`DROP TABLE blobs`);
  }
}
