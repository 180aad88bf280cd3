import { PriorityQueues } from './priority-queues';

function fakeClock(start = 1_000_000) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

function drain<T>(q: PriorityQueues<T>): T[] {
  const out: T[] = [];
  for (let e = q.next(); e; e = q.next()) out.push(e.item);
  return out;
}

describe('PriorityQueues', () => {
  it('returns undefined when empty', () => {
    const q = new PriorityQueues<string>(10, 1_000, fakeClock().now);
    expect(q.next()).toBeUndefined();
    expect(q.total).toBe(0);
  });

  it('serves the highest non-empty priority first', () => {
    const clock = fakeClock();
    const q = new PriorityQueues<string>(10, 60_000, clock.now);
    q.push('low', 'l1');
    q.push('normal', 'n1');
    q.push('high', 'h1');
    q.push('low', 'l2');
    q.push('normal', 'n2');
    expect(drain(q)).toEqual(['h1', 'n1', 'n2', 'l1', 'l2']);
  });

  it('keeps FIFO order within one priority', () => {
    const clock = fakeClock();
    const q = new PriorityQueues<number>(1_000, 60_000, clock.now);
    for (let i = 0; i < 600; i++) q.push('normal', i);
    // Enough shifts to exercise the internal compaction of the FIFO.
    expect(drain(q)).toEqual(Array.from({ length: 600 }, (_, i) => i));
  });

  it('records the enqueue time and priority of each item', () => {
    const clock = fakeClock(5_000);
    const q = new PriorityQueues<string>(10, 60_000, clock.now);
    q.push('low', 'a');
    clock.advance(10);
    q.push('low', 'b');
    expect(q.oldestEnqueuedAt('low')).toBe(5_000);
    expect(q.oldestEnqueuedAt('high')).toBeUndefined();
    expect(q.next()).toEqual({ item: 'a', priority: 'low', enqueuedAt: 5_000 });
    expect(q.oldestEnqueuedAt('low')).toBe(5_010);
  });

  it('serves a low item that waited longer than agingMs before a fresh high item', () => {
    const clock = fakeClock();
    const q = new PriorityQueues<string>(10, 1_000, clock.now);
    q.push('low', 'old-low');
    clock.advance(1_001);
    q.push('high', 'fresh-high');
    expect(q.next()?.item).toBe('old-low');
    expect(q.next()?.item).toBe('fresh-high');
  });

  it('does not promote a low item that has not yet reached agingMs', () => {
    const clock = fakeClock();
    const q = new PriorityQueues<string>(10, 1_000, clock.now);
    q.push('low', 'low');
    clock.advance(999);
    q.push('high', 'high');
    expect(q.next()?.item).toBe('high');
    expect(q.next()?.item).toBe('low');
  });

  it('serves the oldest among several aged queue heads', () => {
    const clock = fakeClock();
    const q = new PriorityQueues<string>(10, 1_000, clock.now);
    q.push('normal', 'normal-oldest');
    clock.advance(100);
    q.push('low', 'low-middle');
    clock.advance(100);
    q.push('high', 'high-youngest');
    clock.advance(5_000);
    // All three heads are aged: order by age, not by priority.
    expect(q.next()?.item).toBe('normal-oldest');
    expect(q.next()?.item).toBe('low-middle');
    expect(q.next()?.item).toBe('high-youngest');
  });

  it('falls back to priority order once no head is aged', () => {
    const clock = fakeClock();
    const q = new PriorityQueues<string>(10, 1_000, clock.now);
    q.push('low', 'aged-low');
    clock.advance(2_000);
    q.push('low', 'fresh-low');
    q.push('high', 'fresh-high');
    expect(drain(q)).toEqual(['aged-low', 'fresh-high', 'fresh-low']);
  });

  it('reports isFull at maxWaiting per priority, independently of other priorities', () => {
    const q = new PriorityQueues<number>(4, 1_000, fakeClock().now);
    for (let i = 0; i < 3; i++) q.push('high', i);
    expect(q.isFull('high')).toBe(false);
    q.push('high', 3);
    expect(q.isFull('high')).toBe(true);
    expect(q.isFull('low')).toBe(false);
    expect(q.size('high')).toBe(4);
    expect(q.total).toBe(4);
  });

  it('reports hasRoom only at or below half of maxWaiting (low-water mark)', () => {
    const q = new PriorityQueues<number>(5, 1_000, fakeClock().now);
    for (let i = 0; i < 5; i++) q.push('normal', i);
    expect(q.isFull('normal')).toBe(true);
    expect(q.hasRoom('normal')).toBe(false);
    q.next(); // 4 left
    expect(q.isFull('normal')).toBe(false);
    expect(q.hasRoom('normal')).toBe(false);
    q.next(); // 3 left
    expect(q.hasRoom('normal')).toBe(false);
    q.next(); // 2 left = floor(5 / 2)
    expect(q.hasRoom('normal')).toBe(true);
    expect(q.hasRoom('high')).toBe(true);
  });

  it('removeWhere removes matching items across priorities and returns them', () => {
    const q = new PriorityQueues<{ id: string; tp: string }>(10, 60_000, fakeClock().now);
    q.push('high', { id: 'h1', tp: 'a' });
    q.push('high', { id: 'h2', tp: 'b' });
    q.push('normal', { id: 'n1', tp: 'b' });
    q.push('low', { id: 'l1', tp: 'a' });
    q.push('low', { id: 'l2', tp: 'b' });
    q.push('low', { id: 'l3', tp: 'a' });
    const removed = q.removeWhere((e) => e.tp === 'a');
    expect(removed.map((e) => e.id).sort()).toEqual(['h1', 'l1', 'l3']);
    expect(q.total).toBe(3);
    expect(q.size('high')).toBe(1);
    expect(q.size('low')).toBe(1);
    expect(drain(q).map((e) => e.id)).toEqual(['h2', 'n1', 'l2']);
  });

  it('removeWhere keeps the FIFO order of the remaining items, also after some were served', () => {
    const q = new PriorityQueues<number>(1_000, 60_000, fakeClock().now);
    for (let i = 0; i < 20; i++) q.push('normal', i);
    for (let i = 0; i < 5; i++) q.next();
    const removed = q.removeWhere((n) => n % 3 === 0);
    expect(removed).toEqual([6, 9, 12, 15, 18]);
    q.push('normal', 100);
    expect(drain(q)).toEqual([5, 7, 8, 10, 11, 13, 14, 16, 17, 19, 100]);
  });

  it('removeWhere with no match changes nothing', () => {
    const q = new PriorityQueues<number>(10, 60_000, fakeClock().now);
    q.push('low', 1);
    q.push('high', 2);
    expect(q.removeWhere(() => false)).toEqual([]);
    expect(drain(q)).toEqual([2, 1]);
  });
});

describe('PriorityQueues.unshift', () => {
  it('puts an interrupted item back at the head of its queue with its original wait', () => {
    let now = 1000;
    const q = new PriorityQueues<string>(10, 60_000, () => now);
    q.push('normal', 'a');
    q.push('normal', 'b');
    const first = q.next()!;
    now = 5000;
    q.unshift(first.priority, first.item, first.enqueuedAt);
    const again = q.next()!;
    expect(again.item).toBe('a');
    expect(again.enqueuedAt).toBe(1000);
    expect(q.next()!.item).toBe('b');
  });
});
