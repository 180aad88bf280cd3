import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** Summaries of V8 .cpuprofile files (node --cpu-prof): where the CPU time went. */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileLine {
  fn: string;
  ms: number;
  pct: number;
}

export interface ProfileSummary {
  file: string;
  /** Sampled wall time (µs precision), ms. */
  totalMs: number;
  /** Time not idle: what the process actually spent CPU on, ms. */
  busyMs: number;
  /** Busy time by what the process was doing (first matching rule over the whole stack). */
  byPhase: ProfileLine[];
  topSelf: ProfileLine[];
  topInclusive: ProfileLine[];
  byCategory: ProfileLine[];
}

/**
 * What a sample was doing, decided by the first rule (in this order) matching any frame of its
 * stack: a Kafka produce made from an HTTP handler counts as "Kafka produce", the handler's own
 * work as "HTTP server".
 */
const PHASES: Array<[string, RegExp]> = [
  ['validation (class-validator / class-transformer)', /class-validator|class-transformer|parseMessage |validation\.pipe/],
  ['backend HTTP call (fetch / undici)', /vllm\.client|undici/],
  ['Kafka produce (encode, send, ack)', /kafkajs\/src\/producer|kafka\/producer\.js|requests\/produce\//],
  ['Kafka fetch (decode batches)', /kafkajs\/src\/consumer|requests\/fetch\/|recordBatch/],
  ['Redis (hot copies, limits)', /ioredis|job-hot-store|redis\//],
  ['Postgres (upserts, queries)', /node_modules\/(pg|pg-protocol|pg-pool|typeorm)\/|jobs\.repository/],
  ['HTTP server (Fastify + Nest routing, parse, reply)', /fastify|_http_server|_http_common|find-my-way|platform-fastify|@nestjs\/core\/router/],
  ['Nest microservice dispatch', /@nestjs\/microservices/],
  ['start-up (module loading)', /Module\._load|Module\._compile|wrapSafe/],
  ['Kafka client (network, other)', /kafkajs/],
];

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

function where(url: string): string {
  if (!url) return '';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return url;
  const m = /\/((?:apps|libs|src)\/.*)$/.exec(url);
  return m ? m[1].replace(/^(apps|libs)\/([^/]+)\/src\//, '$1/$2/') : basename(url);
}

function category(frame: CallFrame): string {
  if (SPECIAL.has(frame.functionName)) return frame.functionName;
  const url = frame.url;
  if (!url) return '(native / V8 builtins)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return 'node core';
  const m = /\/(apps|libs)\/([^/]+)\//.exec(url);
  return m ? `gantry ${m[1]}/${m[2]}` : 'other';
}

function key(frame: CallFrame): string {
  const name = frame.functionName || '(anonymous)';
  const w = where(frame.url);
  return w ? `${name} ${w}:${frame.lineNumber + 1}` : name;
}

export function summariseProfile(file: string, top = 25): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const cats = new Map<string, number>();
  const phases = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (let i = 0; i < p.samples.length; i++) {
    // DevTools' convention: the time until the next sample belongs to this sample.
    const dt = (p.timeDeltas[i + 1] ?? p.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    const node = byId.get(p.samples[i])!;
    if (node.callFrame.functionName === '(idle)') {
      idle += dt;
      continue;
    }
    const k = key(node.callFrame);
    self.set(k, (self.get(k) ?? 0) + dt);
    const c = category(node.callFrame);
    cats.set(c, (cats.get(c) ?? 0) + dt);
    const seen = new Set<string>();
    const stack: string[] = [];
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id)!.callFrame;
      if (SPECIAL.has(f.functionName)) continue;
      const kk = key(f);
      stack.push(`${kk} ${f.url}`);
      if (seen.has(kk)) continue;
      seen.add(kk);
      inclusive.set(kk, (inclusive.get(kk) ?? 0) + dt);
    }
    const phase = node.callFrame.functionName === '(garbage collector)' ? 'garbage collection' : (PHASES.find(([, re]) => stack.some((f) => re.test(f)))?.[0] ?? 'other (timers, sockets, promises, JSON)');
    phases.set(phase, (phases.get(phase) ?? 0) + dt);
  }
  const busy = total - idle;
  const lines = (m: Map<string, number>, filter: (k: string) => boolean = () => true) =>
    [...m]
      .filter(([k]) => filter(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, ms]) => ({ fn, ms: Math.round(ms), pct: Math.round((ms / Math.max(1, busy)) * 1000) / 10 }));
  return {
    file: basename(file),
    totalMs: Math.round(total),
    busyMs: Math.round(busy),
    byPhase: lines(phases),
    topSelf: lines(self),
    // Gantry's own functions (and the entry points into libraries) are what a fix can change.
    topInclusive: lines(inclusive, (k) => / (apps|libs)\//.test(k)),
    byCategory: lines(cats),
  };
}

export function summariseProfiles(dir: string): ProfileSummary[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort()
    .map((f) => summariseProfile(join(dir, f)));
}

export function profileMarkdown(s: ProfileSummary, top = 15): string {
  const table = (title: string, rows: ProfileLine[]) =>
    [`| ${title} | ms | % of busy |`, '| --- | ---: | ---: |', ...rows.slice(0, top).map((r) => `| \`${r.fn.replace(/\|/g, '\\|')}\` | ${r.ms} | ${r.pct} |`)].join('\n');
  return [
    `**${s.file}**: ${s.busyMs} ms busy of ${s.totalMs} ms sampled.`,
    '',
    table('by phase', s.byPhase),
    '',
    table('by category (self time)', s.byCategory),
    '',
    table('top self time', s.topSelf),
    '',
    table("Gantry's functions, inclusive time", s.topInclusive),
  ].join('\n');
}
