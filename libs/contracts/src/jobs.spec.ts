import { lifecycleEvent, type JobMessage } from './jobs';

describe('lifecycleEvent', () => {
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

  it('carries the job identity and its options, so the recorder knows the webhook from any event', () => {
    const e = lifecycleEvent(job, 'started', 2, { backend: 'http://b' });
    expect(e).toMatchObject({ schema: 1, request_id: job.request_id, type: 'started', attempt: 2, client_id: 'c', pool: 'gemma', priority: 'high', backend: 'http://b' });
    expect(e.options).toEqual(job.options);
  });

  it('omits options when the job has none', () => {
    expect('options' in lifecycleEvent({ ...job, options: undefined }, 'succeeded', 1)).toBe(false);
  });
});
