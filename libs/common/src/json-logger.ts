import type { LoggerService, LogLevel } from '@nestjs/common';
import { currentTrace } from './trace-context';

const LEVELS: Record<string, number> = { verbose: 0, debug: 1, log: 2, info: 2, warn: 3, error: 4, fatal: 5 };

/**
 * One JSON object per line on stdout: time, level, context (the class name), and the fields of
 * an object message (ids like request_id travel as fields, errors under `err`).
 */
export class JsonLogger implements LoggerService {
  private min: number;

  constructor(
    level: 'debug' | 'info' | 'warn' | 'error' = 'info',
    private readonly base: Record<string, unknown> = {},
  ) {
    this.min = LEVELS[level];
  }

  setLogLevels(levels: LogLevel[]): void {
    this.min = Math.min(...levels.map((l) => LEVELS[l] ?? 2));
  }

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(level: string, message: unknown, rest: unknown[]): void {
    if (LEVELS[level] < this.min) return;
    // Nest passes the context last; an error stack may precede it.
    const context = typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    const line: Record<string, unknown> = { time: new Date().toISOString(), level, ...this.base };
    // Lines written while handling one request or job carry its ids (fields of the message win).
    const trace = currentTrace();
    if (trace) {
      if (trace.requestId) line.request_id = trace.requestId;
      line.trace_id = trace.traceId;
    }
    if (context) line.context = context;
    if (message instanceof Error) line.err = { message: message.message, stack: message.stack };
    else if (message && typeof message === 'object') Object.assign(line, message);
    else line.msg = String(message);
    if (rest.length && typeof rest[0] === 'string' && level === 'error') line.stack = rest[0];
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
}
