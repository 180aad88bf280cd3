import type { PoolTotals } from '@gantry/db';
import type { PartitionLag } from '@gantry/kafka';
import type { WorkerReport } from '@gantry/redis';
import { queueView } from './queue-view';

const totals: PoolTotals = { processed: 10, failed: 3, timeout: 1, oldest_queued_at: null };
const lag = (topic: string, partition: number, n: number): PartitionLag => ({ topic, partition, end: n, committed: null, lag: n });
const worker = (over: Partial<WorkerReport> = {}): WorkerReport => ({
  id: 'w',
  pool: 'gemma',
  in_flight: 0,
  in_flight_by_priority: { high: 0, normal: 0, low: 0 },
  max_concurrent: 4,
  max_waiting: 64,
  waiting: { high: 0, normal: 0, low: 0 },
  dispatching: true,
  at: 0,
  ...over,
});

describe('queueView', () => {
  it('sums the backlog over partitions per priority; with no worker everything waits', () => {
    const v = queueView({
      pool: 'gemma',
      lag: [lag('gantry.jobs.gemma.high.v1', 0, 2), lag('gantry.jobs.gemma.high.v1', 1, 1), lag('gantry.jobs.gemma.low.v1', 0, 4)],
      workers: [],
      totals,
      maxWaiting: 10000,
      now: 0,
    });
    expect(v).toEqual({
      model: 'gemma',
      pool: 'gemma',
      processing: 0,
      waiting: 7,
      waiting_by_priority: { high: 3, normal: 0, low: 4 },
      backlog: 7,
      oldest_waiting_age_seconds: null,
      max_concurrent: 0,
      max_waiting: 10000,
      workers: 0,
      total_processed: 10,
      total_failed: 3,
      total_timeout: 1,
      utilization: 0,
    });
  });

  it('takes running jobs out of the backlog per priority and sums capacity over workers', () => {
    const v = queueView({
      pool: 'gemma',
      lag: [lag('gantry.jobs.gemma.normal.v1', 0, 5), lag('gantry.jobs.gemma.high.v1', 0, 1)],
      workers: [
        worker({ in_flight: 2, in_flight_by_priority: { high: 1, normal: 1, low: 0 } }),
        worker({ id: 'w2', in_flight: 1, in_flight_by_priority: { high: 0, normal: 1, low: 0 }, max_concurrent: 2 }),
      ],
      totals,
      maxWaiting: null,
      now: 0,
    });
    expect(v).toMatchObject({ processing: 3, backlog: 6, waiting: 3, waiting_by_priority: { high: 0, normal: 3, low: 0 }, max_concurrent: 6, workers: 2, utilization: 0.5 });
  });

  it('ignores topics of other pools and never reports negative waiting', () => {
    const v = queueView({
      pool: 'gemma',
      lag: [lag('gantry.jobs.deepseek-ocr.high.v1', 0, 9), lag('gantry.jobs.gemma.low.v1', 0, 1)],
      workers: [worker({ in_flight: 2, in_flight_by_priority: { high: 0, normal: 0, low: 2 } })],
      totals,
      maxWaiting: null,
      now: 0,
    });
    expect(v.waiting_by_priority).toEqual({ high: 0, normal: 0, low: 0 });
    expect(v.waiting).toBe(0);
  });

  it('gives the age of the oldest queued job only while something waits', () => {
    const oldest = new Date(1_000_000);
    const waiting = queueView({ pool: 'gemma', lag: [lag('gantry.jobs.gemma.low.v1', 0, 1)], workers: [], totals: { ...totals, oldest_queued_at: oldest }, maxWaiting: null, now: 1_012_345 });
    expect(waiting.oldest_waiting_age_seconds).toBe(12.3);
    const idle = queueView({ pool: 'gemma', lag: [], workers: [], totals: { ...totals, oldest_queued_at: oldest }, maxWaiting: null, now: 1_012_345 });
    expect(idle.oldest_waiting_age_seconds).toBeNull();
  });

  it('names the OCR pool `deepseek`, as the reference does, and keeps its pool name beside', () => {
    const v = queueView({ pool: 'deepseek-ocr', lag: [lag('gantry.jobs.deepseek-ocr.normal.v1', 0, 3)], workers: [], totals, maxWaiting: null, now: 0 });
    expect(v).toMatchObject({ model: 'deepseek', pool: 'deepseek-ocr', waiting: 3, waiting_by_priority: { high: 0, normal: 3, low: 0 } });
  });
});
