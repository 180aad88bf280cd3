import { loadEnv, WorkerEnv } from '@gantry/config';
import { JsonLogger } from '@gantry/common';
import { Logger } from '@nestjs/common';
import { bootstrapWorker } from './worker.bootstrap';

/** `node dist/apps/worker/src/main.js [--pool gemma]` */
async function main(): Promise<void> {
  const poolArg = process.argv.indexOf('--pool');
  const env = loadEnv(WorkerEnv, process.env, poolArg > 0 ? { WORKER_POOL: process.argv[poolArg + 1] as WorkerEnv['WORKER_POOL'] } : {});
  const logger = new JsonLogger(env.LOG_LEVEL, { app: 'worker', pool: env.WORKER_POOL });
  Logger.overrideLogger(logger);
  const worker = await bootstrapWorker(env, logger);
  logger.log({ msg: 'worker started', pool: env.WORKER_POOL, max_concurrent: env.WORKER_MAX_CONCURRENT });
  const stop = async () => {
    await worker.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`worker failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
