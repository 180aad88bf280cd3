import { PRIORITIES, type Priority } from '@gantry/contracts';

/** Array-backed FIFO with O(1) amortised shift. */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(item: T): void {
    this.items.push(item);
  }
  unshift(item: T): void {
    if (this.head > 0) this.items[--this.head] = item;
    else this.items.unshift(item);
  }
  peek(): T | undefined {
    return this.items[this.head];
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined as unknown as T;
    if (this.head > 256 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
  removeWhere(pred: (item: T) => boolean): T[] {
    const kept: T[] = [];
    const removed: T[] = [];
    for (let i = this.head; i < this.items.length; i++) (pred(this.items[i]) ? removed : kept).push(this.items[i]);
    this.items = kept;
    this.head = 0;
    return removed;
  }
}

export interface Queued<T> {
  item: T;
  priority: Priority;
  enqueuedAt: number;
}

/**
 * The worker's bounded per-priority queues (DESIGN.md §2, scheduler steps 1–2): `next()` serves
 * the highest non-empty priority, except that a job which has waited longer than `agingMs` is
 * served first (the longest-waiting such job), so low priority is never starved.
 */
export class PriorityQueues<T> {
  private readonly queues: Record<Priority, Fifo<Queued<T>>> = { high: new Fifo(), normal: new Fifo(), low: new Fifo() };

  constructor(
    readonly maxWaiting: number,
    readonly agingMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  push(priority: Priority, item: T): void {
    this.queues[priority].push({ item, priority, enqueuedAt: this.now() });
  }

  /** Puts an interrupted item back at the head of its queue, keeping its original wait. */
  unshift(priority: Priority, item: T, enqueuedAt: number): void {
    this.queues[priority].unshift({ item, priority, enqueuedAt });
  }

  size(priority: Priority): number {
    return this.queues[priority].length;
  }

  get total(): number {
    return PRIORITIES.reduce((n, p) => n + this.queues[p].length, 0);
  }

  isFull(priority: Priority): boolean {
    return this.queues[priority].length >= this.maxWaiting;
  }

  /** Low-water mark for resuming a paused topic: half the bound, so pause/resume does not flap. */
  hasRoom(priority: Priority): boolean {
    return this.queues[priority].length <= Math.floor(this.maxWaiting / 2);
  }

  next(): Queued<T> | undefined {
    const now = this.now();
    let aged: Fifo<Queued<T>> | undefined;
    for (const p of PRIORITIES) {
      const head = this.queues[p].peek();
      if (head && now - head.enqueuedAt >= this.agingMs && (!aged || head.enqueuedAt < aged.peek()!.enqueuedAt)) {
        aged = this.queues[p];
      }
    }
    if (aged) return aged.shift();
    for (const p of PRIORITIES) {
      if (this.queues[p].length > 0) return this.queues[p].shift();
    }
    return undefined;
  }

  /** Removes queued items (e.g. of a revoked partition) and returns them. */
  removeWhere(pred: (item: T) => boolean): T[] {
    return PRIORITIES.flatMap((p) => this.queues[p].removeWhere((q) => pred(q.item)).map((q) => q.item));
  }

  oldestEnqueuedAt(priority: Priority): number | undefined {
    return this.queues[priority].peek()?.enqueuedAt;
  }
}
