import { createElement as h, useCallback, useEffect, useRef, useState, type ReactElement, type ReactNode } from 'react';
import type * as InkModule from 'ink/build/index';
import { AdminApiError, type AdminClient, type CrashInfo, type PoolInfo, type QueueInfo } from './admin-client';
import { bar, formatDuration, isDrained, moveSelection, ThroughputMeter } from './console-model';

type Ink = typeof InkModule;

interface Snapshot {
  at: number;
  pools: PoolInfo[];
  queues: Record<string, QueueInfo | undefined>;
  crashes: CrashInfo[];
}

const PRIORITIES = ['high', 'normal', 'low'] as const;
const BAR_WIDTH = 24;

const STATUS_COLOR: Record<string, string> = { running: 'green', starting: 'yellow', stopping: 'yellow', stopped: 'red', no_workers: 'gray', idle: 'cyan' };

const messageOf = (err: unknown) => (err instanceof AdminApiError || err instanceof Error ? err.message : String(err));

/** The console's screen and keys; `ink` is passed in because it can only be loaded with `import()`. */
export function consoleApp(ink: Ink, client: AdminClient, refreshMs: number): ReactElement {
  const { Box, Text, useApp, useInput } = ink;

  function PoolRow({ pool, selected, draining, throughput }: { pool: PoolInfo; selected: boolean; draining: boolean; throughput: number | null }) {
    const health = pool.is_healthy ? h(Text, { color: 'green' }, 'healthy  ') : h(Text, { color: 'red' }, 'unhealthy');
    const status = draining && !isDrained(pool) ? 'draining' : pool.status;
    return h(
      Box,
      null,
      h(Text, { inverse: selected }, `${selected ? '>' : ' '} ${pool.name.padEnd(14)}`),
      h(Text, { color: STATUS_COLOR[status] ?? 'yellow' }, ` ${status.padEnd(11)}`),
      h(Text, null, ' '),
      health,
      h(Text, null, `  workers ${String(pool.workers).padEnd(3)} in-flight ${String(pool.in_flight).padEnd(4)} up ${formatDuration(pool.uptime_seconds).padEnd(7)}`),
      h(Text, null, ` ${throughput === null ? '  -  ' : throughput.toFixed(2)} jobs/s`),
      h(Text, { dimColor: true, wrap: 'truncate-end' }, `  ${pool.engine}${pool.backend_url ? ` ${pool.backend_url}` : ''}${pool.resolution ? ` (${pool.resolution})` : ''}${pool.backend_error ? ` - ${pool.backend_error}` : ''}`),
    );
  }

  function QueueBlock({ pool, queue }: { pool: string; queue: QueueInfo | undefined }) {
    if (!queue) return h(Text, { dimColor: true }, `  ${pool}: queue not available`);
    const max = Math.max(1, ...PRIORITIES.map((p) => queue.waiting_by_priority[p]));
    return h(
      Box,
      { flexDirection: 'column', marginTop: 1 },
      h(
        Text,
        { bold: true },
        `QUEUE ${pool}  waiting ${queue.waiting}  running ${queue.processing}/${queue.max_concurrent}  oldest ${formatDuration(queue.oldest_waiting_age_seconds)}  processed ${queue.total_processed}  failed ${queue.total_failed}`,
      ),
      ...PRIORITIES.map((p) => h(Text, { key: p }, `  ${p.padEnd(7)} ${bar(queue.waiting_by_priority[p], max, BAR_WIDTH)} ${queue.waiting_by_priority[p]}`)),
      h(Text, null, `  running ${bar(queue.processing, queue.max_concurrent, BAR_WIDTH)} ${Math.round(queue.utilization * 100)}%`),
    );
  }

  function CrashList({ crashes }: { crashes: CrashInfo[] }) {
    return h(
      Box,
      { flexDirection: 'column', marginTop: 1 },
      h(Text, { bold: true }, 'RECENT CRASHES'),
      crashes.length === 0
        ? h(Text, { dimColor: true }, '  none')
        : crashes.map((c, i) =>
            h(
              Text,
              { key: String(i), wrap: 'truncate-end' },
              `  ${c.timestamp.slice(11, 19)} ${(c.model ?? '-').padEnd(13)} ${(c.code ?? c.source).padEnd(18)} ${c.error}${c.request_id ? ` (${c.request_id.slice(0, 8)})` : ''}`,
            ),
          ),
    );
  }

  function App(): ReactNode {
    const { exit } = useApp();
    const [snapshot, setSnapshot] = useState<Snapshot | null>(null);
    const [error, setError] = useState<string | null>(null);
    const [message, setMessage] = useState('');
    const [selected, setSelected] = useState(0);
    const [draining, setDraining] = useState<ReadonlySet<string>>(new Set());
    const meter = useRef(new ThroughputMeter());
    const busy = useRef(false);

    const refresh = useCallback(async () => {
      if (busy.current) return;
      busy.current = true;
      try {
        const [models, crashes] = await Promise.all([client.models(), client.crashes(5)]);
        const pools = Object.values(models);
        const queues: Record<string, QueueInfo | undefined> = {};
        await Promise.all(pools.map(async (p) => (queues[p.name] = await client.queue(p.name).catch(() => undefined))));
        const at = Date.now();
        for (const p of pools) if (queues[p.name]) meter.current.record(p.name, queues[p.name]!.total_processed, at);
        setSnapshot({ at, pools, queues, crashes });
        setError(null);
      } catch (err) {
        setError(messageOf(err));
      } finally {
        busy.current = false;
      }
    }, []);

    useEffect(() => {
      void refresh();
      const timer = setInterval(() => void refresh(), refreshMs);
      return () => clearInterval(timer);
    }, [refresh]);

    // A drain ends when its pool is stopped with nothing in flight.
    useEffect(() => {
      if (!snapshot || draining.size === 0) return;
      const done = snapshot.pools.filter((p) => draining.has(p.name) && isDrained(p));
      if (done.length === 0) return;
      setDraining((d) => new Set([...d].filter((n) => !done.some((p) => p.name === n))));
      setMessage(`drained ${done.map((p) => p.name).join(', ')}: stopped, nothing in flight`);
    }, [snapshot, draining]);

    const act = (label: string, pool: string, action: () => Promise<unknown>, done = `${label} ${pool}: done`) => {
      setMessage(`${label} ${pool}…`);
      action().then(
        () => {
          setMessage(done);
          void refresh();
        },
        (err: unknown) => setMessage(`${label} ${pool} failed: ${messageOf(err)}`),
      );
    };

    useInput((input, key) => {
      const pools = snapshot?.pools ?? [];
      if (input === 'q' || key.escape) {
        exit();
        return;
      }
      if (key.upArrow || input === 'k') setSelected((s) => moveSelection(s, -1, pools.length));
      if (key.downArrow || input === 'j') setSelected((s) => moveSelection(s, 1, pools.length));
      const pool = pools[Math.min(selected, pools.length - 1)];
      if (!pool) return;
      if (input === 'p') act('pause', pool.name, () => client.stop(pool.name, true), `paused ${pool.name} (graceful stop: running jobs finish)`);
      if (input === 'r') {
        setDraining((d) => new Set([...d].filter((n) => n !== pool.name)));
        act('resume', pool.name, () => client.start(pool.name), `resumed ${pool.name}`);
      }
      if (input === 'd') {
        act('drain', pool.name, async () => {
          await client.stop(pool.name, true);
          setDraining((d) => new Set([...d, pool.name]));
        }, `drain ${pool.name}: stopped, waiting for in-flight jobs to finish`);
      }
    });

    const pools = snapshot?.pools ?? [];
    const drainingNow = pools.filter((p) => draining.has(p.name));
    return h(
      Box,
      { flexDirection: 'column' },
      h(Text, { bold: true }, `Gantry console  ${client.baseUrl}  ${snapshot ? `refreshed ${new Date(snapshot.at).toISOString().slice(11, 19)}Z` : 'loading…'}`),
      error ? h(Text, { color: 'red' }, `error: ${error}`) : null,
      h(Box, { flexDirection: 'column', marginTop: 1 }, h(Text, { bold: true }, 'POOLS'), ...pools.map((p, i) => h(PoolRow, { key: p.name, pool: p, selected: i === selected, draining: draining.has(p.name), throughput: meter.current.perSecond(p.name) }))),
      ...pools.map((p) => h(QueueBlock, { key: `q-${p.name}`, pool: p.name, queue: snapshot?.queues[p.name] })),
      h(CrashList, { crashes: snapshot?.crashes ?? [] }),
      drainingNow.length ? h(Text, { color: 'yellow' }, `draining ${drainingNow.map((p) => `${p.name} (${p.in_flight} in flight)`).join(', ')}`) : null,
      h(Box, { marginTop: 1 }, h(Text, { dimColor: true }, 'keys: ↑/↓ select  p pause  r resume  d drain  q quit')),
      message ? h(Text, null, message) : null,
    );
  }

  return h(App);
}
