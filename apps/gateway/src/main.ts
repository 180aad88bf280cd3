import { runProcess } from '@gantry/common';
import { GatewayEnv, loadEnv } from '@gantry/config';
import { bootstrapGateway } from './gateway.bootstrap';

const env = loadEnv(GatewayEnv);
runProcess('gateway', env.LOG_LEVEL, async (logger) => {
  const running = await bootstrapGateway(env, logger);
  if (running.firstAdmin) {
    // Printed once to stdout, never logged: the generated password of the first admin (development).
    process.stdout.write(`First admin created with a generated password, shown only this once: username ${running.firstAdmin.username} password ${running.firstAdmin.password}\n`);
  }
  return { running, started: { url: running.url } };
});
