import { Logger } from '@nestjs/common';
import { JsonLogger } from '@gantry/common';
import { loadEnv, RecorderEnv } from '@gantry/config';
import { bootstrapRecorder } from './recorder.bootstrap';

async function main(): Promise<void> {
  const env = loadEnv(RecorderEnv);
  const logger = new JsonLogger(env.LOG_LEVEL, { app: 'recorder' });
  Logger.overrideLogger(logger);
  const recorder = await bootstrapRecorder(env, logger);
  logger.log({ msg: 'recorder started' });
  const stop = async () => {
    await recorder.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`recorder failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
