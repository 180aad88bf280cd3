import { DataSource, type DataSourceOptions } from 'typeorm';
import type { DatabaseEnv } from '@gantry/config';
import { JobEntity } from './jobs/job.entity';
import { IDENTITY_ENTITIES } from './identity/entities';
import { MIGRATIONS } from './migrations';

export const ENTITIES = [JobEntity, ...IDENTITY_ENTITIES];

/** The one data source definition, shared by the apps and the migration CLI. */
export function dataSourceOptions(env: DatabaseEnv): DataSourceOptions {
  return {
    type: 'postgres',
    url: env.DATABASE_URL,
    schema: env.DATABASE_SCHEMA,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    logging: ['error'],
    // Unqualified SQL in repositories resolves to the deployment's schema.
    extra: { max: env.DATABASE_POOL_SIZE, options: `-c search_path=${env.DATABASE_SCHEMA}` },
  };
}

/** Creates the database (if the server allows) and schema when missing, then applies pending migrations. */
export async function migrate(env: DatabaseEnv): Promise<string[]> {
  await ensureDatabase(env.DATABASE_URL);
  const ds = new DataSource(dataSourceOptions(env));
  await ds.initialize();
  try {
    await ds.query(`CREATE SCHEMA IF NOT EXISTS "${env.DATABASE_SCHEMA}"`);
    const applied = await ds.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await ds.destroy();
  }
}

async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!name) return;
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const { Client } = await import('pg');
  const client = new Client({ connectionString: admin.toString() });
  try {
    await client.connect();
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } catch (err) {
    // No rights to create databases: migrations below report the real problem if it is missing.
    if ((err as { code?: string }).code !== '42P04') return;
  } finally {
    await client.end().catch(() => undefined);
  }
}
