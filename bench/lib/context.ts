import { AppProcess, type AppName, type LoadGenerator } from './processes';
import { Scope } from './scope';

/** What the runner hands every scenario. */
export interface BenchContext {
  runId: string;
  quick: boolean;
  /** Directory for .cpuprofile files when the run profiles Gantry's processes, else undefined. */
  profileDir?: string;
  loadgen: LoadGenerator;
  log(msg: string): void;
  /** Creates (and registers for clean-up) an isolated scope. */
  scope(name: string, jobPartitions?: number): Promise<Scope>;
  /** Starts one of Gantry's apps from the build with the scope's env; profiled when the run profiles. */
  app(name: AppName, scope: Scope, env?: Record<string, string>, label?: string): Promise<AppProcess>;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `full` in a full run, `quick` with --quick. */
export function pick<T>(ctx: BenchContext, full: T, quick: T): T {
  return ctx.quick ? quick : full;
}

/** `http://host:port` → the load generator's target. */
export function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
}
