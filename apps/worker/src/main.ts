import { runProcess } from '@gantry/common';
import { loadEnv, WorkerEnv } from '@gantry/config';
import { bootstrapWorker } from './worker.bootstrap';

/** `node dist/apps/worker/src/main.js [--pool gemma]` */
const poolArg = process.argv.indexOf('--pool');
const env = loadEnv(WorkerEnv, process.env, poolArg > 0 ? { WORKER_POOL: process.argv[poolArg + 1] as WorkerEnv['WORKER_POOL'] } : {});
runProcess(
  'worker',
  env.LOG_LEVEL,
  async (logger) => ({ running: await bootstrapWorker(env, logger), started: { max_concurrent: env.WORKER_MAX_CONCURRENT } }),
  { pool: env.WORKER_POOL },
);
