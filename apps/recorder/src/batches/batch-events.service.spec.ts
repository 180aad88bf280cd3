import { batchEndEvent } from './batch-events.service';

const at = new Date('2026-11-24T10:00:00Z');
const batch = (status: string, ends: Record<string, Date | null> = {}) =>
  ({ id: 'batch_1', status, created_at: new Date('2026-11-24T09:00:00Z'), completed_at: null, failed_at: null, expired_at: null, cancelled_at: null, ...ends }) as Parameters<typeof batchEndEvent>[0];

describe('batchEndEvent', () => {
  it.each([
    ['completed', 'completed_at', 'batch.completed'],
    ['failed', 'failed_at', 'batch.failed'],
    ['expired', 'expired_at', 'batch.expired'],
    ['cancelled', 'cancelled_at', 'batch.cancelled'],
  ])('turns a %s batch into %s-stamped %s in OpenAI\'s envelope', (status, column, type) => {
    expect(batchEndEvent(batch(status, { [column]: at }))).toEqual({ id: expect.stringMatching(/^evt_[0-9a-f]{32}$/), object: 'event', created_at: at.getTime() / 1000, type, data: { id: 'batch_1' } });
  });

  it('is deterministic (a replay builds the same event) and distinct per batch and type', () => {
    const a = batchEndEvent(batch('completed', { completed_at: at }));
    expect(batchEndEvent(batch('completed', { completed_at: at }))).toEqual(a);
    expect(batchEndEvent({ ...batch('completed', { completed_at: at }), id: 'batch_2' })!.id).not.toBe(a!.id);
    expect(batchEndEvent(batch('cancelled', { cancelled_at: at }))!.id).not.toBe(a!.id);
  });

  it('has no event for a batch that has not ended', () => {
    for (const s of ['validating', 'in_progress', 'finalizing', 'cancelling']) expect(batchEndEvent(batch(s))).toBeNull();
  });
});
