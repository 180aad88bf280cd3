import { kafkaConsumerLag, workerInFlight, workerWaiting } from './metrics';
import { LAG_CACHE_MS, lagSamples, registerLagSource, registerSchedulerSource } from './sources';

async function values(metric: { get(): Promise<{ values: Array<{ labels: Record<string, string | number>; value: number }> }> }) {
  return (await metric.get()).values.map((v) => ({ ...v.labels, value: v.value }));
}

describe('scheduler gauges', () => {
  it('sum the registered schedulers per pool and priority, and forget removed ones', async () => {
    const a = registerSchedulerSource('gemma', () => ({ inFlight: 2, waiting: { high: 1, normal: 0, low: 3 } }));
    const b = registerSchedulerSource('gemma', () => ({ inFlight: 1, waiting: { high: 0, normal: 2, low: 0 } }));
    const c = registerSchedulerSource('deepseek-ocr', () => ({ inFlight: 4, waiting: { high: 0, normal: 0, low: 0 } }));
    try {
      expect(await values(workerInFlight)).toEqual(expect.arrayContaining([{ pool: 'gemma', value: 3 }, { pool: 'deepseek-ocr', value: 4 }]));
      expect(await values(workerWaiting)).toEqual(
        expect.arrayContaining([
          { pool: 'gemma', priority: 'high', value: 1 },
          { pool: 'gemma', priority: 'normal', value: 2 },
          { pool: 'gemma', priority: 'low', value: 3 },
        ]),
      );
      b();
      c();
      expect(await values(workerInFlight)).toEqual([{ pool: 'gemma', value: 2 }]);
    } finally {
      a();
      b();
      c();
    }
    expect(await values(workerInFlight)).toEqual([]);
  });
});

describe('consumer lag sources', () => {
  it('keep one reader per key until every registrant removed it, and sum partitions per topic', async () => {
    const first = jest.fn(async () => [
      { group: 'g', topic: 't', lag: 2 },
      { group: 'g', topic: 't', lag: 5 },
    ]);
    const second = jest.fn(async () => [{ group: 'g', topic: 't', lag: 100 }]);
    const stopA = registerLagSource('g', first);
    const stopB = registerLagSource('g', second);
    try {
      expect(await values(kafkaConsumerLag)).toEqual([{ group: 'g', topic: 't', value: 7 }]);
      expect(second).not.toHaveBeenCalled();
      stopA();
      expect(await lagSamples(Date.now() + LAG_CACHE_MS + 1)).toHaveLength(2);
      stopB();
      expect(await lagSamples()).toEqual([]);
    } finally {
      stopA();
      stopB();
    }
  });

  it('reads the broker at most once per cache window and keeps the last values when it fails', async () => {
    let calls = 0;
    const read = jest.fn(async () => {
      calls++;
      if (calls > 1) throw new Error('broker down');
      return [{ group: 'h', topic: 't', lag: 9 }];
    });
    const stop = registerLagSource('h', read);
    try {
      const t0 = Date.now();
      expect(await lagSamples(t0)).toEqual([{ group: 'h', topic: 't', lag: 9 }]);
      expect(await lagSamples(t0 + 10)).toEqual([{ group: 'h', topic: 't', lag: 9 }]);
      expect(read).toHaveBeenCalledTimes(1);
      expect(await lagSamples(Date.now() + LAG_CACHE_MS + 1)).toEqual([{ group: 'h', topic: 't', lag: 9 }]);
      expect(read).toHaveBeenCalledTimes(2);
    } finally {
      stop();
    }
  });
});
