// Preloaded into a gateway process that a test spawns (`node --expose-gc --require …`): on SIGWINCH
// (ignored by default; Nest's shutdown hooks take SIGUSR2) it runs a full GC and writes the process's live memory to HEAP_PROBE_FILE. Peak RSS counts
// garbage V8 has not collected yet; this counts only what the process still holds.
const { writeFileSync } = require('node:fs');

process.on('SIGWINCH', () => {
  global.gc();
  const m = process.memoryUsage();
  writeFileSync(process.env.HEAP_PROBE_FILE, JSON.stringify({ at: Date.now(), heapUsed: m.heapUsed, external: m.external, rss: m.rss }));
});
