import { Logger } from '@nestjs/common';
import { JsonLogger } from '@gantry/common';
import { GatewayEnv, loadEnv } from '@gantry/config';
import { bootstrapGateway } from './gateway.bootstrap';

async function main(): Promise<void> {
  const env = loadEnv(GatewayEnv);
  const logger = new JsonLogger(env.LOG_LEVEL, { app: 'gateway' });
  Logger.overrideLogger(logger);
  const gateway = await bootstrapGateway(env, logger);
  logger.log({ msg: 'gateway listening', url: gateway.url });
  const stop = async () => {
    await gateway.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`gateway failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
