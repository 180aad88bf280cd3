import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A job answered from the response cache (no backend call) is marked, so polling can say so. */
export class JobsFromCache1732580000000 implements MigrationInterface {
  name = 'JobsFromCache1732580000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE jobs ADD COLUMN from_cache boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE jobs DROP COLUMN from_cache`);
  }
}
