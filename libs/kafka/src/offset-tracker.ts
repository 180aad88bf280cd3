/**
 * Tracks one partition's messages from fetch to finish and says how far offsets may be committed:
 * up to (not including) the lowest offset that is not finished. Offsets arrive in increasing order;
 * gaps are allowed (compaction, control records). A crash replays only unfinished work.
 */
export class PartitionTracker {
  private readonly entries: Array<{ offset: number; done: boolean }> = [];
  private head = 0;
  private readonly open = new Map<number, { offset: number; done: boolean }>();
  /** Every offset below `floor` is finished; `floor` is the next offset to commit. -1 = nothing seen yet. */
  private floor = -1;
  private committed = -1;

  /** False when the offset was seen before (a refetch after a rebalance or a resume). */
  isNew(offset: number): boolean {
    if (offset < this.floor || this.open.has(offset)) return false;
    const last = this.entries.length > this.head ? this.entries[this.entries.length - 1].offset : this.floor - 1;
    return offset > last;
  }

  /** Registers a fetched offset; false when it was seen before. */
  track(offset: number): boolean {
    if (!this.isNew(offset)) return false;
    const entry = { offset, done: false };
    this.entries.push(entry);
    this.open.set(offset, entry);
    if (this.floor < 0) this.floor = offset;
    return true;
  }

  /** Marks an offset finished; returns true when the commit point moved. */
  finish(offset: number): boolean {
    const entry = this.open.get(offset);
    if (!entry) return false;
    this.open.delete(offset);
    entry.done = true;
    const before = this.floor;
    while (this.head < this.entries.length && this.entries[this.head].done) {
      this.floor = this.entries[this.head].offset + 1;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
    return this.floor !== before;
  }

  /** The offset to commit now, or null when nothing new is committable. */
  takeCommit(): number | null {
    if (this.floor < 0 || this.floor === this.committed) return null;
    this.committed = this.floor;
    return this.floor;
  }

  /** Puts a commit back after a failed attempt so it is retried. */
  commitFailed(offset: number): void {
    if (this.committed === offset) this.committed = -1;
  }

  get unfinished(): number {
    return this.open.size;
  }
}
