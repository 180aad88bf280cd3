import { jobEndToEndSeconds, jobQueueWaitSeconds, jobRetriesTotal, jobRunSeconds, jobsFinishedTotal, tokensTotal } from '@gantry/metrics';
import { JobMetrics } from './job-metrics';

type Metric = { get(): Promise<{ values: Array<{ labels: Record<string, string | number>; value: number; metricName?: string }> }> };

async function value(metric: Metric, labels: Record<string, string>, suffix = ''): Promise<number> {
  const { values } = await metric.get();
  const hit = values.find((v) => (!suffix || v.metricName?.endsWith(suffix)) && Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return hit?.value ?? 0;
}

describe('JobMetrics', () => {
  it('observes queue wait at the first start, retries, and the outcome with run, end-to-end and tokens', async () => {
    const pool = 'deepseek-ocr';
    const created = Date.parse('2025-01-01T00:00:00.000Z');
    let now = created + 2_000;
    const m = new JobMetrics({ pool, priority: 'low', created_at: new Date(created).toISOString() }, () => now);
    const waitSum = await value(jobQueueWaitSeconds, { pool, priority: 'low' }, '_sum');
    const retries = await value(jobRetriesTotal, { pool, code: 'backend_overloaded' });
    const finished = await value(jobsFinishedTotal, { pool, priority: 'low', status: 'succeeded' });
    const runSum = await value(jobRunSeconds, { pool, priority: 'low', status: 'succeeded' }, '_sum');
    const e2eSum = await value(jobEndToEndSeconds, { pool, priority: 'low', status: 'succeeded' }, '_sum');
    const completion = await value(tokensTotal, { pool, type: 'completion' });

    m.observe('started');
    now += 1_000;
    m.observe('retrying', { error: { code: 'backend_overloaded', message: 'busy' } });
    m.observe('started'); // second attempt: queue wait is observed once
    now += 500;
    m.observe('succeeded', { usage: { prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 } });

    expect((await value(jobQueueWaitSeconds, { pool, priority: 'low' }, '_sum')) - waitSum).toBeCloseTo(2);
    expect((await value(jobRetriesTotal, { pool, code: 'backend_overloaded' })) - retries).toBe(1);
    expect((await value(jobsFinishedTotal, { pool, priority: 'low', status: 'succeeded' })) - finished).toBe(1);
    expect((await value(jobRunSeconds, { pool, priority: 'low', status: 'succeeded' }, '_sum')) - runSum).toBeCloseTo(1.5);
    expect((await value(jobEndToEndSeconds, { pool, priority: 'low', status: 'succeeded' }, '_sum')) - e2eSum).toBeCloseTo(3.5);
    expect((await value(tokensTotal, { pool, type: 'completion' })) - completion).toBe(5);
  });

  it('counts a job that ended before it started (expired) without a run time', async () => {
    const pool = 'gemma';
    const m = new JobMetrics({ pool, priority: 'high', created_at: new Date().toISOString() });
    const before = await value(jobsFinishedTotal, { pool, priority: 'high', status: 'expired' });
    const runCount = await value(jobRunSeconds, { pool, priority: 'high', status: 'expired' }, '_count');
    m.observe('expired');
    expect((await value(jobsFinishedTotal, { pool, priority: 'high', status: 'expired' })) - before).toBe(1);
    expect(await value(jobRunSeconds, { pool, priority: 'high', status: 'expired' }, '_count')).toBe(runCount);
  });
});
