import { lifecycleEvent, type JobMessage } from './jobs';
import { InvalidMessageError, JobMessageDto, parseMessage } from './validation';

/** A job with options; the cases below change what they test. */
const job: JobMessage = {
  schema: 1,
  request_id: '00000000-0000-4000-8000-000000000001',
  client_id: 'c',
  kind: 'chat',
  pool: 'gemma',
  model: 'gemma-3-4b-it',
  priority: 'high',
  created_at: '2024-01-01T00:00:00.000Z',
  request: { model: 'gemma-3-4b-it', messages: [{ role: 'user', content: 'x' }] },
  options: { webhook: 'https://example.com/h', webhook_events_filter: ['started'] },
};

describe('lifecycleEvent', () => {
  it('carries the job identity and its options, so the recorder knows the webhook from any event', () => {
    const e = lifecycleEvent(job, 'started', 2, { backend: 'http://b' });
    expect(e).toMatchObject({ schema: 1, request_id: job.request_id, type: 'started', attempt: 2, client_id: 'c', pool: 'gemma', priority: 'high', backend: 'http://b' });
    expect(e.options).toEqual(job.options);
  });

  it('omits options when the job has none', () => {
    expect('options' in lifecycleEvent({ ...job, options: undefined }, 'succeeded', 1)).toBe(false);
  });
});

describe('JobMessageDto cache_key', () => {
  // As the gateway publishes it for a cacheable request: no options, temperature 0.
  const cacheable = { ...job, priority: 'normal', options: undefined, request: { ...job.request, temperature: 0 } };

  it('is optional (messages from before the cache parse) and takes a response-cache key', () => {
    expect(() => parseMessage(JobMessageDto, cacheable)).not.toThrow();
    expect(parseMessage(JobMessageDto, { ...cacheable, cache_key: `cache:{c:1}:gemma-3-4b-it:${'a'.repeat(64)}` }).cache_key).toMatch(/^cache:/);
  });

  it('refuses any other Redis key, so a bad message cannot make the worker write elsewhere', () => {
    for (const cache_key of ['job:00000000-0000-4000-8000-000000000001', `cache:c:gemma:${'a'.repeat(64)}`, 'cache:{c}:m:short']) {
      expect(() => parseMessage(JobMessageDto, { ...cacheable, cache_key })).toThrow(InvalidMessageError);
    }
  });
});
