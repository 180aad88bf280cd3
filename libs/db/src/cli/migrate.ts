import { DatabaseEnv, loadEnv } from '@gantry/config';
import { migrate } from '../data-source';

/** `npm run migrate`: applies pending migrations to DATABASE_URL / DATABASE_SCHEMA. */
migrate(loadEnv(DatabaseEnv))
  .then((applied) => process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n'))
  .catch((err: unknown) => {
    process.stderr.write(`migration failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
