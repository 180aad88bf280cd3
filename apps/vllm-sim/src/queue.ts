// Waiting queue of vLLM's priority scheduler: the lowest `priority` value starts first,
// FIFO (arrival order) among equals. A binary heap that tracks each entry's position so
// an aborted request can be removed in O(log n).

export interface QueueEntry {
  priority: number;
  /** Arrival sequence number: the FIFO tie-breaker. */
  arrival: number;
  /** Position in the heap, -1 when not queued. Maintained by the queue. */
  heapIndex: number;
}

export class PriorityQueue<T extends QueueEntry> {
  private readonly heap: T[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(e: T): void {
    e.heapIndex = this.heap.length;
    this.heap.push(e);
    this.up(e.heapIndex);
  }

  pop(): T | undefined {
    const heap = this.heap;
    if (heap.length === 0) return undefined;
    const top = heap[0];
    this.removeAt(0);
    return top;
  }

  /** Removes `e` if it is queued; returns whether it was. */
  remove(e: T): boolean {
    const i = e.heapIndex;
    if (i < 0 || i >= this.heap.length || this.heap[i] !== e) return false;
    this.removeAt(i);
    return true;
  }

  /** Empties the queue, returning the entries (in no particular order). */
  drain(): T[] {
    const all = this.heap.splice(0);
    for (const e of all) e.heapIndex = -1;
    return all;
  }

  private removeAt(i: number): void {
    const heap = this.heap;
    const removed = heap[i];
    const last = heap.pop() as T;
    removed.heapIndex = -1;
    if (i < heap.length) {
      heap[i] = last;
      last.heapIndex = i;
      this.down(i);
      this.up(last.heapIndex);
    }
  }

  private less(a: T, b: T): boolean {
    return a.priority < b.priority || (a.priority === b.priority && a.arrival < b.arrival);
  }

  private up(i: number): void {
    const heap = this.heap;
    const e = heap[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = heap[p];
      if (!this.less(e, parent)) break;
      heap[i] = parent;
      parent.heapIndex = i;
      i = p;
    }
    heap[i] = e;
    e.heapIndex = i;
  }

  private down(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const e = heap[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.less(heap[r], heap[l]) ? r : l;
      if (!this.less(heap[c], e)) break;
      heap[i] = heap[c];
      heap[i].heapIndex = i;
      i = c;
    }
    heap[i] = e;
    e.heapIndex = i;
  }
}
