import type { JobEvent, JobEventType, JobMessage } from '@gantry/contracts';
import { changeFromEvent, changeFromJob, foldChanges, mergeChange, type JobChange } from './job-change';

const ID = 'req-1';

function job(overrides: Partial<JobMessage> = {}): JobMessage {
  return {
    schema: 1,
    request_id: ID,
    client_id: 'client-a',
    kind: 'chat',
    pool: 'gemma',
    model: 'gemma-3',
    priority: 'normal',
    created_at: '2024-01-01T00:00:00.000Z',
    request: { model: 'gemma', messages: [{ role: 'user', content: 'hi' }] },
    ...overrides,
  };
}

function event(type: JobEventType, at: string, overrides: Partial<JobEvent> = {}): JobEvent {
  return {
    schema: 1,
    request_id: ID,
    type,
    at,
    client_id: 'client-a',
    pool: 'gemma',
    model: 'gemma-3',
    priority: 'normal',
    kind: 'chat',
    attempt: 1,
    ...overrides,
  };
}

function change(e: JobEvent): JobChange {
  const c = changeFromEvent(e);
  if (!c) throw new Error(`event ${e.type} produced no change`);
  return c;
}

const RESULT_OK = { id: 'cmpl-1', choices: [{ message: { role: 'assistant', content: 'hello' } }] };
const USAGE = { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 };
const ERROR = { code: 'backend_rejected', message: 'bad request', status: 400 };

const succeeded = (at = '2024-01-01T00:00:05.000Z', attempt = 1) =>
  event('succeeded', at, { attempt, result: RESULT_OK, usage: USAGE });
const failed = (at = '2024-01-01T00:00:06.000Z', attempt = 1) => event('failed', at, { attempt, error: ERROR });
const started = (at = '2024-01-01T00:00:01.000Z', attempt = 1) => event('started', at, { attempt });

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describe('changeFromJob', () => {
  it('describes a queued job carrying the request and the creation time', () => {
    const c = changeFromJob(job());
    expect(c).toMatchObject({
      request_id: ID,
      client_id: 'client-a',
      status: 'queued',
      status_rank: 0,
      attempts: 0,
      request: job().request,
      result: null,
      error: null,
      usage: null,
      created_at: '2024-01-01T00:00:00.000Z',
      started_at: null,
      finished_at: null,
    });
  });
});

describe('changeFromEvent', () => {
  it('returns null for progress events', () => {
    expect(changeFromEvent(event('progress', '2024-01-01T00:00:02.000Z'))).toBeNull();
  });

  it('maps accepted to queued and started/retrying to running', () => {
    expect(change(event('accepted', '2024-01-01T00:00:00.500Z')).status).toBe('queued');
    expect(change(started()).status).toBe('running');
    expect(change(event('retrying', '2024-01-01T00:00:03.000Z', { attempt: 2 })).status).toBe('running');
  });

  it('sets started_at only for started events', () => {
    expect(change(started('2024-01-01T00:00:01.000Z')).started_at).toBe('2024-01-01T00:00:01.000Z');
    expect(change(event('retrying', '2024-01-01T00:00:03.000Z')).started_at).toBeNull();
  });

  it('carries result, usage and finished_at only on terminal events', () => {
    const ok = change(succeeded('2024-01-01T00:00:05.000Z', 2));
    expect(ok).toMatchObject({ status: 'succeeded', status_rank: 2, attempts: 2, result: RESULT_OK, usage: USAGE, error: null });
    expect(ok.finished_at).toBe('2024-01-01T00:00:05.000Z');
    expect(ok.request).toBeNull();

    const bad = change(failed());
    expect(bad).toMatchObject({ status: 'failed', error: ERROR, result: null, usage: null });

    const retry = change(event('retrying', '2024-01-01T00:00:03.000Z', { error: ERROR, result: RESULT_OK }));
    expect(retry).toMatchObject({ error: null, result: null, usage: null, finished_at: null });
  });
});

describe('mergeChange', () => {
  it('never moves the status backwards (succeeded then started stays succeeded)', () => {
    const merged = mergeChange(change(succeeded()), change(started()));
    expect(merged.status).toBe('succeeded');
    expect(merged.status_rank).toBe(2);
    expect(merged.result).toEqual(RESULT_OK);
    expect(merged.finished_at).toBe('2024-01-01T00:00:05.000Z');
  });

  it('moves the status forwards (queued then running)', () => {
    const merged = mergeChange(changeFromJob(job()), change(started()));
    expect(merged.status).toBe('running');
    expect(merged.status_rank).toBe(1);
  });

  it('keeps the first terminal outcome (succeeded then failed stays succeeded with its result)', () => {
    const merged = mergeChange(change(succeeded('2024-01-01T00:00:05.000Z')), change(failed('2024-01-01T00:00:06.000Z')));
    expect(merged).toMatchObject({
      status: 'succeeded',
      result: RESULT_OK,
      usage: USAGE,
      error: null,
      finished_at: '2024-01-01T00:00:05.000Z',
    });
  });

  it('keeps the first terminal outcome the other way round too (failed then succeeded stays failed)', () => {
    const merged = mergeChange(change(failed('2024-01-01T00:00:06.000Z')), change(succeeded('2024-01-01T00:00:05.000Z')));
    expect(merged).toMatchObject({ status: 'failed', error: ERROR, result: null, usage: null, finished_at: '2024-01-01T00:00:06.000Z' });
  });

  it('keeps the request from the job message whichever arrives first', () => {
    const fromJob = changeFromJob(job());
    const fromEvent = change(succeeded());
    expect(mergeChange(fromJob, fromEvent).request).toEqual(job().request);
    expect(mergeChange(fromEvent, fromJob).request).toEqual(job().request);
  });

  it('takes the highest attempt count', () => {
    const a3 = change(event('retrying', '2024-01-01T00:00:03.000Z', { attempt: 3 }));
    const a1 = change(started('2024-01-01T00:00:01.000Z', 1));
    expect(mergeChange(a3, a1).attempts).toBe(3);
    expect(mergeChange(a1, a3).attempts).toBe(3);
    expect(mergeChange(changeFromJob(job()), a1).attempts).toBe(1);
  });

  it('keeps the earliest created_at and started_at', () => {
    const s1 = change(started('2024-01-01T00:00:01.000Z', 1));
    const s2 = change(started('2024-01-01T00:00:04.000Z', 2));
    expect(mergeChange(s2, s1).started_at).toBe('2024-01-01T00:00:01.000Z');
    expect(mergeChange(s1, s2).started_at).toBe('2024-01-01T00:00:01.000Z');

    const early = changeFromJob(job({ created_at: '2024-01-01T00:00:00.000Z' }));
    // Events carry no submit time (the upsert bounds it by their times until the submit message arrives).
    const e1 = change(started('2024-01-01T00:00:03.000Z', 1));
    const e2 = change(started('2024-01-01T00:00:02.000Z', 1));
    expect(mergeChange(e1, e2).created_at).toBeNull();
    // The submit message's own time wins over any event time, whichever arrives first (clock skew).
    const skewed = change(started('2023-12-31T23:59:59.000Z', 1));
    expect(mergeChange(skewed, early).created_at).toBe('2024-01-01T00:00:00.000Z');
    expect(mergeChange(early, skewed).created_at).toBe('2024-01-01T00:00:00.000Z');
    // A null on one side never wins.
    expect(mergeChange(change(succeeded()), early).created_at).toBe('2024-01-01T00:00:00.000Z');
    expect(mergeChange(s1, change(succeeded())).started_at).toBe('2024-01-01T00:00:01.000Z');
  });
});

describe('foldChanges', () => {
  it('folds a batch into one change per request_id, in first-seen order', () => {
    const other = changeFromJob(job({ request_id: 'req-2' }));
    const folded = foldChanges([changeFromJob(job()), other, change(started()), change(succeeded())]);
    expect(folded.map((c) => c.request_id)).toEqual([ID, 'req-2']);
    expect(folded[0].status).toBe('succeeded');
    expect(folded[1].status).toBe('queued');
  });

  it('gives the same outcome for any order of one job’s messages when there is one terminal event', () => {
    const events = [
      event('accepted', '2024-01-01T00:00:00.100Z'),
      started('2024-01-01T00:00:01.000Z', 1),
      event('progress', '2024-01-01T00:00:01.500Z'),
      event('retrying', '2024-01-01T00:00:02.000Z', { attempt: 1, error: ERROR }),
      started('2024-01-01T00:00:03.000Z', 2),
      event('progress', '2024-01-01T00:00:03.500Z', { attempt: 2 }),
      succeeded('2024-01-01T00:00:05.000Z', 2),
    ];
    const changes: JobChange[] = [changeFromJob(job()), ...events.map(changeFromEvent).filter((c): c is JobChange => c !== null)];
    expect(changes).toHaveLength(6); // progress events dropped

    const random = rng(1234);
    const orders = [changes, [...changes].reverse(), ...Array.from({ length: 30 }, () => shuffle(changes, random))];
    for (const order of orders) {
      const folded = foldChanges(order);
      expect(folded).toHaveLength(1);
      expect(folded[0]).toMatchObject({
        request_id: ID,
        status: 'succeeded',
        status_rank: 2,
        result: RESULT_OK,
        usage: USAGE,
        error: null,
        attempts: 2,
        request: job().request,
        created_at: '2024-01-01T00:00:00.000Z',
        started_at: '2024-01-01T00:00:01.000Z',
        finished_at: '2024-01-01T00:00:05.000Z',
      });
    }
  });

  it('with two terminal events keeps whichever arrived first', () => {
    const ok = change(succeeded());
    const bad = change(failed());
    expect(foldChanges([changeFromJob(job()), ok, bad])[0].status).toBe('succeeded');
    expect(foldChanges([changeFromJob(job()), bad, ok])[0].status).toBe('failed');
  });
});
