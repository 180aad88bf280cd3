import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { Client } from 'pg';
import Redis from 'ioredis';
import { DatabaseEnv, loadEnv, RedisEnv } from '@gantry/config';

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  node: string;
  kafka: string | null;
  postgres: string | null;
  redis: string | null;
  loadavg: number[];
  /** Processes other than the benchmark's using > 5% CPU when sampled (the box is shared). */
  busyProcesses: string[];
}

/** The Kafka broker's version, from the jar on the running broker's class path. */
function kafkaVersion(): string | null {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmd.includes('kafka.Kafka')) continue;
      return /kafka-(\d+\.\d+\.\d+)/.exec(cmd)?.[1] ?? 'unknown';
    } catch {
      /* process went away */
    }
  }
  return null;
}

function busyProcesses(): string[] {
  try {
    const out = execFileSync('ps', ['-eo', 'pcpu,comm,args', '--sort=-pcpu', '--no-headers'], { encoding: 'utf8' });
    return out
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && Number(l.split(/\s+/)[0]) > 5 && !l.includes('bench/') && !/^\S+\s+ps\s/.test(l))
      .slice(0, 8)
      .map((l) => l.slice(0, 120));
  } catch {
    return [];
  }
}

export async function machineInfo(): Promise<MachineInfo> {
  let postgres: string | null = null;
  let redis: string | null = null;
  const pg = new Client({ connectionString: loadEnv(DatabaseEnv, process.env).DATABASE_URL });
  try {
    await pg.connect();
    postgres = (await pg.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0]?.v ?? null;
  } catch {
    postgres = null;
  } finally {
    await pg.end().catch(() => undefined);
  }
  const r = new Redis(loadEnv(RedisEnv, process.env).REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    redis = /redis_version:(\S+)/.exec(await r.info('server'))?.[1] ?? null;
  } catch {
    redis = null;
  } finally {
    r.disconnect();
  }
  const c = cpus();
  return {
    cpus: c.length,
    cpuModel: c[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    kafka: kafkaVersion(),
    postgres,
    redis,
    loadavg: loadavg().map((l) => Math.round(l * 100) / 100),
    busyProcesses: busyProcesses(),
  };
}
