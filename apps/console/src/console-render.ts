import type * as InkModule from 'ink/build/index';
import type { AdminClient } from './admin-client';
import { consoleApp } from './console-app';

/**
 * Ink is ESM only and waits on WebAssembly at load (top-level await in yoga-layout), so CommonJS
 * can load it only with a real `import()`; tsc would compile `import()` to `require()`, hence
 * the indirection.
 */
const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

/** Draws the console until the user quits. */
export async function render(client: AdminClient, refreshMs: number): Promise<void> {
  // Ink draws only the last frame when CI or CONTINUOUS_INTEGRATION is set (is-in-ci, read once at
  // import). main() has already checked for a real terminal, so a CI job's tmux, an operator's
  // shell on a CI runner, or a runner's environment must still see a live screen.
  for (const key of ['CI', 'CONTINUOUS_INTEGRATION']) if (key in process.env) process.env[key] = 'false';
  const ink = (await importEsm('ink')) as typeof InkModule;
  const instance = ink.render(consoleApp(ink, client, refreshMs), { exitOnCtrlC: true, patchConsole: true });
  await instance.waitUntilExit();
}
