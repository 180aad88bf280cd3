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
  const ink = (await importEsm('ink')) as typeof InkModule;
  const instance = ink.render(consoleApp(ink, client, refreshMs), { exitOnCtrlC: true, patchConsole: true });
  await instance.waitUntilExit();
}
