import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

/** The built simulator: the model server command the `process` driver runs in tests. */
export const SIM_MAIN = join(__dirname, '..', '..', 'dist', 'apps', 'vllm-sim', 'src', 'main.js');

export function requireBuiltSimulator(): void {
  if (!existsSync(SIM_MAIN)) throw new Error(`${SIM_MAIN} is missing: run \`npm run build\` first (npm test does)`);
}

/** Writes a config/config.yaml for a test (in a fresh temporary folder) and returns its path. */
export function writeConfig(doc: Record<string, unknown>): { path: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-ms-'));
  const path = join(dir, 'config.yaml');
  writeFileSync(path, stringify(doc));
  return { path, dir };
}

/** A server section that runs the simulator on the pool's backend port. */
export function simServer(logFile: string, simArgs: string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    driver: 'process',
    command: [process.execPath, SIM_MAIN, '--port', '{port}', ...simArgs],
    start_timeout_seconds: 30,
    stop_timeout_seconds: 5,
    restart_backoff: { initial_ms: 200, max_ms: 1000, reset_after_ms: 60_000 },
    log_file: logFile,
    ...extra,
  };
}

/** Whether a process with this pid exists (signal 0 only checks). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
