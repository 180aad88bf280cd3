import { Logger } from '@nestjs/common';
import { JsonLogger } from './json-logger';

export interface Stoppable {
  close(): Promise<void>;
}

/**
 * The entry point of one app process: JSON logs for every Nest logger, start, then a graceful
 * close on SIGTERM/SIGINT. A failure to start is printed and exits non-zero.
 */
export function runProcess(
  app: string,
  level: 'debug' | 'info' | 'warn' | 'error',
  start: (logger: JsonLogger) => Promise<{ running: Stoppable; started: Record<string, unknown> }>,
  fields: Record<string, unknown> = {},
): void {
  const logger = new JsonLogger(level, { app, ...fields });
  Logger.overrideLogger(logger);
  start(logger).then(
    ({ running, started }) => {
      logger.log({ msg: `${app} started`, ...started });
      let stopping = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        await running.close().catch((err: unknown) => logger.error({ msg: 'shutdown error', err: String(err) }));
        process.exit(0);
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    },
    (err: unknown) => {
      process.stderr.write(`${app} failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
