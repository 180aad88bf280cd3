// Experiment behind the worker proposal in bench/FINDINGS.md: CPU per backend call of the worker's
// HTTP client (global fetch with AbortSignal.any + AbortSignal.timeout, as
// apps/worker/src/backend/vllm.client.ts does) against node:http with a keep-alive agent, calling
// the same zero-latency simulator (own process) at the same concurrency.
//
//   node -r ./bench/register.js bench/experiments/http-client.ts [calls=5000] [concurrency=16]
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { DIRECT_SIM_BODY } from '../lib/jobs';
import { SimProcess } from '../lib/processes';
import { round } from '../lib/stats';

type Call = () => Promise<unknown>;

function viaFetch(url: string): Call {
  return async () => {
    const controller = new AbortController();
    const timeout = AbortSignal.timeout(300_000);
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: DIRECT_SIM_BODY,
      signal: AbortSignal.any([controller.signal, timeout]),
    });
    return JSON.parse(await res.text());
  };
}

function viaHttp(url: string, concurrency: number): Call {
  const u = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  return () =>
    new Promise((resolve, reject) => {
      const controller = new AbortController();
      const req = request(
        { host: u.hostname, port: u.port, path: '/v1/chat/completions', method: 'POST', agent, signal: controller.signal, timeout: 300_000, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(DIRECT_SIM_BODY) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(DIRECT_SIM_BODY);
    });
}

async function measure(name: string, call: Call, calls: number, concurrency: number) {
  // Warm up (JIT, connections), then measure this process's CPU for `calls` calls.
  for (let i = 0; i < 500; i++) await call();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < calls) await call();
    }),
  );
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { client: name, calls, concurrency, callsPerS: Math.round((calls * 1000) / wall), cpuUsPerCall: round((cpu.user + cpu.system) / calls, 0) };
}

async function main() {
  const calls = Number(process.argv[2] ?? 5000);
  const concurrency = Number(process.argv[3] ?? 16);
  const sim = await SimProcess.start({}, 'sim-experiment');
  try {
    const rows = [];
    for (let round = 0; round < 2; round++) {
      rows.push(await measure('fetch + AbortSignal.any (now)', viaFetch(sim.url), calls, concurrency));
      rows.push(await measure('node:http keep-alive agent', viaHttp(sim.url, concurrency), calls, concurrency));
    }
    console.table(rows);
  } finally {
    await sim.stop();
  }
}

void main();
