import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Stacks for the crash log (`/admin/crashes`): of a job that failed inside the worker, and of a
 * handler whose message was dead-lettered. Nullable: rows written before have none.
 */
export class CrashStacks1732583000000 implements MigrationInterface {
  name = 'CrashStacks1732583000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE jobs ADD COLUMN error_stack text`);
    await q.query(`ALTER TABLE dead_letters ADD COLUMN stack text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE dead_letters DROP COLUMN stack`);
    await q.query(`ALTER TABLE jobs DROP COLUMN error_stack`);
  }
}
