import type { DeadLetter } from '@gantry/contracts';
import { deadLetterRow } from './dead-letter-row';

const letter = (over: Partial<DeadLetter> = {}): DeadLetter => ({
  schema: 1,
  topic: 'gantry.jobs.gemma.normal.v1',
  partition: 2,
  offset: '17',
  key: null,
  value: '{}',
  error: 'invalid message: x',
  at: '2025-03-01T10:00:00.000Z',
  consumer_group: 'gantry.worker.gemma',
  ...over,
});

describe('deadLetterRow', () => {
  it('takes request_id and pool from a job-shaped value', () => {
    const row = deadLetterRow(letter({ value: JSON.stringify({ request_id: 'abc', pool: 'deepseek-ocr' }), topic: 'gantry.job-events.v1' }));
    expect(row).toMatchObject({ request_id: 'abc', pool: 'deepseek-ocr', source_topic: 'gantry.job-events.v1', source_partition: 2, source_offset: '17', at: '2025-03-01T10:00:00.000Z' });
  });

  it('falls back to a UUID key for the request id and to the job topic for the pool', () => {
    const key = '550e8400-e29b-41d4-a716-446655440002';
    const row = deadLetterRow(letter({ key, value: '{"schema": 1, "request_id": ' }));
    expect(row).toMatchObject({ request_id: key, pool: 'gemma', key });
  });

  it('leaves them null when nothing tells', () => {
    expect(deadLetterRow(letter({ key: 'not-a-uuid', topic: 'gantry.job-events.v1', value: '[1,2]' }))).toMatchObject({ request_id: null, pool: null });
  });

  it('ignores an unknown pool in the value', () => {
    expect(deadLetterRow(letter({ value: JSON.stringify({ pool: 'gpt' }), topic: 'gantry.dlq.v1' })).pool).toBeNull();
  });

  it('keeps the handler stack, and null when the record has none (older records, invalid messages)', () => {
    expect(deadLetterRow(letter({ stack: 'Error: boom\n    at handler (x.ts:1:1)' })).stack).toBe('Error: boom\n    at handler (x.ts:1:1)');
    expect(deadLetterRow(letter()).stack).toBeNull();
  });

  it('removes NUL characters Postgres text cannot hold', () => {
    const row = deadLetterRow(letter({ value: 'a\u0000b', error: 'bad\u0000', key: 'k\u0000' }));
    expect(row).toMatchObject({ value: 'ab', error: 'bad', key: 'k' });
  });

  it('stores the receive time when the letter time is out of range', () => {
    const now = new Date('2025-04-04T00:00:00.000Z');
    expect(deadLetterRow(letter({ at: '0000-01-01T00:00:00Z' }), now).at).toBe(now.toISOString());
    expect(deadLetterRow(letter({ at: 'nonsense' }), now).at).toBe(now.toISOString());
  });
});
