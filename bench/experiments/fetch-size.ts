// Experiment behind the worker fetch proposal in bench/FINDINGS.md: the worker's CPU per job while
// it drains a deep backlog, with the consumer's fetch limits as they are (kafkajs defaults: 1 MiB
// per partition, 10 MiB per fetch) and with 64 KiB per partition. In priority mode the worker takes
// at most WORKER_MAX_WAITING messages of a batch and drops the rest (they are fetched again after
// the topic resumes), so a large fetch is mostly decoded for nothing.
//
//   node -r ./bench/register.js bench/experiments/fetch-size.ts [jobs=8000]
//
// The worker runs in this process (bootstrapWorker, as the tests do) so the consumer's options can
// be changed from outside; the simulator (zero latency) runs in its own process.
import { performance } from 'node:perf_hooks';
import { Logger } from '@nestjs/common';
import { Kafka, type ConsumerConfig } from 'kafkajs';
import { loadEnv, WorkerEnv } from '@gantry/config';
import { bootstrapWorker } from '../../apps/worker/src/worker.bootstrap';
import { JobFeeder } from '../lib/jobs';
import { SimProcess } from '../lib/processes';
import { Scope } from '../lib/scope';
import { round } from '../lib/stats';

const original = Kafka.prototype.consumer;

async function drain(label: string, jobs: number, consumerPatch: Partial<ConsumerConfig>) {
  Kafka.prototype.consumer = function (this: Kafka, config: ConsumerConfig) {
    return original.call(this, { ...config, ...consumerPatch });
  };
  const scope = new Scope(`exp_${Date.now().toString(36)}`, 'fetch', 6);
  await scope.setup();
  const sim = await SimProcess.start({}, 'sim-experiment');
  try {
    // The backlog first (deep, as in the pipeline scenario), then the worker.
    const feeder = new JobFeeder(scope);
    await feeder.backlog(jobs, 'normal');
    await feeder.close();
    const env = loadEnv(WorkerEnv, { ...process.env, ...scope.appEnv({ GEMMA_BACKEND_URL: sim.url, LOG_LEVEL: 'error' }) });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const worker = await bootstrapWorker(env);
    for (;;) {
      const s = await sim.stats();
      if (s.completed >= jobs) break;
      if (performance.now() - t0 > 300_000) throw new Error(`${label}: only ${s.completed}/${jobs} done after 300 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    await worker.close();
    return { fetch: label, jobs, jobsPerS: Math.round((jobs * 1000) / wall), workerCpuMsPerJob: round((cpu.user + cpu.system) / 1000 / jobs, 3) };
  } finally {
    Kafka.prototype.consumer = original;
    await sim.stop();
    await scope.cleanup();
  }
}

async function main() {
  Logger.overrideLogger(false);
  const jobs = Number(process.argv[2] ?? 8000);
  const rows = [];
  rows.push(await drain('kafkajs defaults (now): 1 MiB/partition, 10 MiB/fetch', jobs, {}));
  rows.push(await drain('64 KiB/partition, 1 MiB/fetch', jobs, { maxBytesPerPartition: 64 * 1024, maxBytes: 1024 * 1024 }));
  console.table(rows);
}

void main();
