import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { freePort } from './support/operations';
import { createStack, waitFor, type TestStack } from './support/stack';

const GATEWAY = join(__dirname, '..', 'dist', 'apps', 'gateway', 'src', 'main.js');
const LINES = 50_000;
/** Where the upload stops to measure what the gateway holds (80% of the lines sent). */
const PROBE_AT_LINE = 40_000;
/** Generous: peak RSS also counts garbage V8 collects late (the validation pass makes most of it). */
const MAX_RSS_GROWTH_MB = 150;

const line = (i: number) =>
  JSON.stringify({ custom_id: `bulk-${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'gemma-3-4b-it', messages: [{ role: 'user', content: `bulk request ${i} ${'lorem ipsum '.repeat(20)}` }], max_tokens: 4 } });

interface HeapProbe {
  at: number;
  heapUsed: number;
  external: number;
  rss: number;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/**
 * A 50,000-line upload to a gateway running as its own process (the built app): its resident
 * memory is sampled from /proc during the upload and must stay flat (a memory bound, not a
 * timing one), then the batch runs to completion against a zero-latency simulator and every
 * custom_id is answered once. The figures are printed.
 */
describe('50,000-line batch upload', () => {
  let stack: TestStack;
  let gateway: ChildProcess;
  let url: string;
  const probeFile = join(tmpdir(), `gantry-heap-probe-${process.pid}-${Date.now()}.json`);

  /** The gateway's live memory after a full GC (test/support/heap-probe.cjs), in bytes. */
  async function heldBytes(): Promise<HeapProbe> {
    const asked = Date.now();
    gateway.kill('SIGWINCH');
    return waitFor(
      async () => {
        if (!existsSync(probeFile)) return null;
        const p = JSON.parse(readFileSync(probeFile, 'utf8')) as HeapProbe;
        return p.at >= asked && p;
      },
      'the gateway heap probe',
      10_000,
      20,
    );
  }

  beforeAll(async () => {
    if (!existsSync(GATEWAY)) throw new Error(`${GATEWAY} is missing: run \`npm run build\` first (npm test does)`);
    stack = await createStack({ env: { BATCH_SWEEP_INTERVAL_MS: '500' } });
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    gateway = spawn(process.execPath, ['--expose-gc', '--require', join(__dirname, 'support', 'heap-probe.cjs'), GATEWAY], {
      env: { ...process.env, ...stack.env, PORT: String(port), LOG_LEVEL: 'warn', HEAP_PROBE_FILE: probeFile },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await waitFor(async () => (await fetch(`${url}/health`)).status === 200, 'the gateway process', 60_000, 200);
    await Promise.all([
      stack.startWorker({ WORKER_MAX_CONCURRENT: '128', WORKER_MAX_WAITING: '1024' }),
      stack.startRecorder({ BATCH_EXPAND_CHUNK: '1000', BATCH_EXPAND_RATE: '20000' }),
    ]);
  });
  afterAll(async () => {
    if (gateway && gateway.exitCode === null) gateway.kill('SIGKILL');
    await stack?.stop();
  });

  it('keeps the gateway flat in memory while 50,000 lines stream in, then answers each custom_id once', async () => {
    // Warm-up: the first upload pays for lazily loaded code, which is not the upload's cost.
    const warm = await fetch(`${url}/api/batches`, { method: 'POST', headers: stack.auth('bulk', { 'content-type': 'application/jsonl' }), body: line(-1).replace('bulk--1', 'warm') });
    expect(warm.status).toBe(202);
    // And a few thousand lines through the intake alone, so that its code and buffers are in place.
    const form = new FormData();
    form.append('purpose', 'batch');
    form.append('file', new Blob([Array.from({ length: 5000 }, (_, i) => line(-i - 2)).join('\n')]), 'warm.jsonl');
    const warmFile = await fetch(`${url}/v1/files`, { method: 'POST', headers: stack.auth('bulk'), body: form });
    expect(warmFile.status).toBe(200);
    await fetch(`${url}/v1/files/${((await warmFile.json()) as { id: string }).id}`, { method: 'DELETE', headers: stack.auth('bulk') });
    const before = await heldBytes();
    const baseline = rssMb(gateway.pid!);
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(gateway.pid!))), 25);

    let bytes = 0;
    let probe: { sent: number; held: HeapProbe } | undefined;
    // Generated as a stream: the test does not hold the file either.
    async function* body() {
      for (let i = 0; i < LINES; i += 1000) {
        // 80% of the file sent: what does the gateway hold now? An intake that kept the file (or
        // its lines) would hold most of these bytes; a streaming one holds about one insert's worth.
        if (i === PROBE_AT_LINE) probe = { sent: bytes, held: await heldBytes() };
        let chunk = '';
        for (let j = i; j < i + 1000; j++) chunk += line(j) + '\n';
        bytes += Buffer.byteLength(chunk);
        yield chunk;
      }
    }
    const started = Date.now();
    const res = await fetch(`${url}/api/batches?priority=normal`, {
      method: 'POST',
      headers: stack.auth('bulk', { 'content-type': 'application/jsonl' }),
      body: Readable.toWeb(Readable.from(body())),
      duplex: 'half',
    } as RequestInit);
    const accepted = (await res.json()) as { batch_id: string; status: string; request_counts: { total: number; invalid: number } };
    const uploadMs = Date.now() - started;
    clearInterval(sampler);
    expect(res.status).toBe(202);
    expect(accepted).toMatchObject({ status: 'in_progress', request_counts: { total: LINES, invalid: 0 } });
    const growth = peak - baseline;
    const held = probe!.held.heapUsed + probe!.held.external - (before.heapUsed + before.external);
    const mb = (n: number) => (n / 1048576).toFixed(1);
    // eslint-disable-next-line no-console
    console.log(
      `50,000-line upload to a gateway process: ${mb(bytes)} MB in ${(uploadMs / 1000).toFixed(1)} s; live memory (after a full GC) with ${mb(probe!.sent)} MB sent: ` +
        `${mb(before.heapUsed + before.external)} -> ${mb(probe!.held.heapUsed + probe!.held.external)} MB (${held >= 0 ? '+' : ''}${mb(held)} MB); ` +
        `peak RSS ${baseline.toFixed(0)} MB -> ${peak.toFixed(0)} MB (+${growth.toFixed(1)} MB)`,
    );
    expect(bytes).toBeGreaterThan(10 * 1048576);
    expect(probe!.sent).toBeGreaterThan(15 * 1048576);
    // Measured: about +1 MB. Buffering even half of what was sent would break this bound.
    expect(held).toBeLessThan(probe!.sent / 4);
    expect(growth).toBeLessThan(MAX_RSS_GROWTH_MB);

    const id = accepted.batch_id;
    await waitFor(
      async () => {
        const b = (await (await fetch(`${url}/api/batches/${id}`, { headers: stack.auth('bulk') })).json()) as { status: string };
        return b.status === 'completed';
      },
      'the 50,000-line batch to complete',
      600_000,
      1000,
    );
    const runMs = Date.now() - started;
    // eslint-disable-next-line no-console
    console.log(`50,000-line batch completed ${(runMs / 1000).toFixed(0)} s after the upload began (zero-latency simulator, in-process worker and recorder)`);

    const results = await fetch(`${url}/api/batches/${id}/results`, { headers: stack.auth('bulk') });
    expect(results.status).toBe(200);
    const seen = new Set<string>();
    let count = 0;
    let rest = '';
    for await (const chunk of results.body as unknown as AsyncIterable<Uint8Array>) {
      const parts = (rest + Buffer.from(chunk).toString('utf8')).split('\n');
      rest = parts.pop()!;
      for (const p of parts) {
        if (!p) continue;
        count++;
        seen.add((JSON.parse(p) as { custom_id: string }).custom_id);
      }
    }
    if (rest) {
      count++;
      seen.add((JSON.parse(rest) as { custom_id: string }).custom_id);
    }
    expect(count).toBe(LINES);
    expect(seen.size).toBe(LINES);
    expect(seen.has('bulk-0') && seen.has(`bulk-${LINES - 1}`)).toBe(true);
  }, 900_000);
});
