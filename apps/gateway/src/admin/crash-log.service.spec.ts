import { toCrashEntry } from './crash-log.service';

describe('toCrashEntry', () => {
  it('maps a failed job to the reference shape', () => {
    const entry = toCrashEntry({
      at: new Date('2025-01-15T16:30:00.000Z'),
      source: 'job',
      error: 'Connection timeout',
      code: 'backend_timeout',
      pool: 'gemma',
      request_id: '550e8400-e29b-41d4-a716-446655440002',
      topic: null,
      partition: null,
      offset: null,
      consumer_group: null,
      stack: null,
    });
    expect(entry).toEqual({
      timestamp: '2025-01-15T16:30:00.000Z',
      error: 'Connection timeout',
      model: 'gemma',
      request_id: '550e8400-e29b-41d4-a716-446655440002',
      stack_trace: null,
      source: 'job',
      code: 'backend_timeout',
    });
  });

  it('adds where a dead letter came from', () => {
    const entry = toCrashEntry({
      at: new Date('2025-01-15T16:31:00.000Z'),
      source: 'dead_letter',
      error: 'invalid message: priority must be one of …',
      code: null,
      pool: null,
      request_id: null,
      topic: 'gantry.jobs.gemma.normal.v1',
      partition: 1,
      offset: '42',
      consumer_group: 'gantry.worker.gemma',
      stack: null,
    });
    expect(entry).toMatchObject({ source: 'dead_letter', model: null, topic: 'gantry.jobs.gemma.normal.v1', partition: 1, offset: '42', consumer_group: 'gantry.worker.gemma' });
  });

  it('shows a recorded stack as stack_trace', () => {
    const stack = 'BackendError: blob b is gone\n    at OcrExecutor.load (ocr-executor.ts:100:20)';
    const entry = toCrashEntry({ at: new Date(0), source: 'job', error: 'blob b is gone', code: 'invalid_input', pool: 'deepseek-ocr', request_id: 'r', topic: null, partition: null, offset: null, consumer_group: null, stack });
    expect(entry.stack_trace).toBe(stack);
  });
});
