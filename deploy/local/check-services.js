#!/usr/bin/env node
// Checks that Postgres and Redis answer at DATABASE_URL / REDIS_URL (defaults: the local servers)
// and says clearly what is wrong when they don't. Plain JS: it runs before anything is built.
const { Client } = require('pg');
const Redis = require('ioredis');

const DATABASE_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/gantry';
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const redact = (url) => url.replace(/\/\/([^:@/]+):[^@/]+@/, '//$1:***@');

async function checkPostgres() {
  // Connect to the server's `postgres` database: Gantry's own database may not exist yet (migrate creates it).
  const url = new URL(DATABASE_URL);
  url.pathname = '/postgres';
  const client = new Client({ connectionString: url.toString(), connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => {});
  }
}

async function checkRedis() {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
  } finally {
    redis.disconnect();
  }
}

(async () => {
  let ok = true;
  for (const [name, url, check, hint] of [
    ['Postgres', DATABASE_URL, checkPostgres, "start it (e.g. 'pg_ctlcluster 15 main start') or set DATABASE_URL"],
    ['Redis', REDIS_URL, checkRedis, "start it (e.g. 'redis-server --daemonize yes') or set REDIS_URL"],
  ]) {
    try {
      await check();
      console.error(`[stack] ${name} answers at ${redact(url)}`);
    } catch (err) {
      ok = false;
      console.error(`[stack] ${name} does not answer at ${redact(url)}: ${err.message || err}\n[stack]   ${hint}`);
    }
  }
  process.exit(ok ? 0 : 1);
})();
