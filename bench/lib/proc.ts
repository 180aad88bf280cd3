import { readdirSync, readFileSync } from 'node:fs';

/** Reads of /proc for the processes the benchmark started (Linux only, as this machine). */

const TICKS_PER_S = 100; // getconf CLK_TCK on Linux

/** User + system CPU time the process has used so far, in ms; null once it is gone. */
export function cpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may contain spaces).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_S;
  } catch {
    return null;
  }
}

/** Resident set size now and its peak so far, in MiB. */
export function memoryMiB(pid: number): { rss: number; hwm: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/** Whole-machine CPU counters (all cores), for the share of the box a scenario kept busy. */
export function machineCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = v[3] + (v[4] ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** Microseconds during which some runnable task waited for a CPU (Linux PSI), or null without PSI. */
export function cpuPressureUs(): number | null {
  try {
    const m = /^some .*total=(\d+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Tracks CPU used by a set of processes (and the machine) between start() and stop(). */
export class CpuMeter {
  private startCpu = new Map<string, number>();
  private startMachine = machineCpu();
  private startPressure = cpuPressureUs();
  private t0 = Date.now();

  constructor(private readonly pids: Record<string, number>) {
    for (const [name, pid] of Object.entries(pids)) this.startCpu.set(name, cpuMs(pid) ?? 0);
  }

  /**
   * CPU ms per process since construction, the wall time, the machine's busy share (0..1 of all
   * cores) and CPU pressure (share of the time some task waited for a core: contention, ours or others').
   */
  read(): { wallMs: number; cpuMs: Record<string, number>; machineBusy: number; cpuPressure: number | null } {
    const out: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids)) out[name] = Math.round((cpuMs(pid) ?? NaN) - (this.startCpu.get(name) ?? 0));
    const m = machineCpu();
    const machineBusy = (m.busy - this.startMachine.busy) / Math.max(1, m.total - this.startMachine.total);
    const wallMs = Date.now() - this.t0;
    const p = cpuPressureUs();
    const cpuPressure = p !== null && this.startPressure !== null ? Math.round(((p - this.startPressure) / 1000 / Math.max(1, wallMs)) * 100) / 100 : null;
    return { wallMs, cpuMs: out, machineBusy: Math.round(machineBusy * 100) / 100, cpuPressure };
  }
}

/** CPU ms used so far by every process on the machine, with a short command line. */
export function processSnapshot(): Map<number, { cpuMs: number; cmd: string }> {
  const out = new Map<number, { cpuMs: number; cmd: string }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const pid = Number(d);
    const cpu = cpuMs(pid);
    if (cpu === null) continue;
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    } catch {
      /* gone */
    }
    out.set(pid, { cpuMs: cpu, cmd: shortCommand(cmd) });
  }
  return out;
}

function shortCommand(cmd: string): string {
  if (cmd.includes('kafka.Kafka')) return 'kafka broker (java)';
  return cmd.replace(/-cp \S+/g, '').replace(/\/work\/main\//g, '').replace(/\s+/g, ' ').trim().slice(0, 90) || '(kernel)';
}

/**
 * The processes that used the most CPU between two snapshots, grouped by command line (Postgres
 * backends, jest workers...), with CPU seconds. Tells whose work shared the cores with a scenario.
 */
export function topCpuBetween(a: Map<number, { cpuMs: number; cmd: string }>, b: Map<number, { cpuMs: number; cmd: string }>, n = 6): Array<{ cmd: string; cpuS: number }> {
  const byCmd = new Map<string, number>();
  for (const [pid, now] of b) {
    const used = now.cpuMs - (a.get(pid)?.cpuMs ?? 0);
    if (used <= 0) continue;
    const key = now.cmd.startsWith('postgres') ? 'postgres (all backends)' : now.cmd;
    byCmd.set(key, (byCmd.get(key) ?? 0) + used);
  }
  return [...byCmd]
    .sort((x, y) => y[1] - x[1])
    .slice(0, n)
    .map(([cmd, ms]) => ({ cmd, cpuS: Math.round(ms / 100) / 10 }));
}
