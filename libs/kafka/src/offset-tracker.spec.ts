import { PartitionTracker } from './offset-tracker';

/** Deterministic PRNG (mulberry32) so shuffles are reproducible. */
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

function trackAll(t: PartitionTracker, offsets: number[]): void {
  for (const o of offsets) expect(t.track(o)).toBe(true);
}

describe('PartitionTracker', () => {
  it('has nothing to commit before any offset is tracked', () => {
    const t = new PartitionTracker();
    expect(t.takeCommit()).toBeNull();
    expect(t.unfinished).toBe(0);
  });

  it('commits up to the lowest unfinished offset', () => {
    const t = new PartitionTracker();
    trackAll(t, [0, 1, 2, 3]);
    t.takeCommit();
    expect(t.finish(0)).toBe(true);
    expect(t.finish(1)).toBe(true);
    expect(t.takeCommit()).toBe(2);
    expect(t.unfinished).toBe(2);
  });

  it('keeps the commit point at an unfinished offset when a later one finishes first, then jumps past both', () => {
    const t = new PartitionTracker();
    trackAll(t, [3, 4, 5, 6]);
    expect(t.finish(3)).toBe(true);
    expect(t.takeCommit()).toBe(4);

    expect(t.finish(5)).toBe(false);
    expect(t.takeCommit()).toBeNull();

    expect(t.finish(4)).toBe(true);
    expect(t.takeCommit()).toBe(6);
  });

  it('handles gaps between offsets: the commit point moves to one past the last finished offset of a run', () => {
    const t = new PartitionTracker();
    trackAll(t, [10, 12, 15]);
    expect(t.finish(10)).toBe(true);
    expect(t.takeCommit()).toBe(11);
    expect(t.finish(15)).toBe(false);
    expect(t.takeCommit()).toBeNull();
    expect(t.finish(12)).toBe(true);
    expect(t.takeCommit()).toBe(16);
    expect(t.unfinished).toBe(0);
  });

  it('rejects tracking the same offset twice while it is open', () => {
    const t = new PartitionTracker();
    expect(t.track(7)).toBe(true);
    expect(t.track(7)).toBe(false);
    expect(t.unfinished).toBe(1);
  });

  it('rejects tracking an offset that is already finished and below the commit point', () => {
    const t = new PartitionTracker();
    trackAll(t, [7, 8]);
    t.finish(7);
    t.finish(8);
    expect(t.track(7)).toBe(false);
    expect(t.track(8)).toBe(false);
    expect(t.unfinished).toBe(0);
    // A refetched old offset must not pull the commit point back.
    expect(t.takeCommit()).toBe(9);
    expect(t.takeCommit()).toBeNull();
  });

  it('rejects an offset lower than one already tracked (a refetch inside the open window)', () => {
    const t = new PartitionTracker();
    trackAll(t, [10, 12]);
    expect(t.track(11)).toBe(false);
    expect(t.track(10)).toBe(false);
    t.finish(10);
    expect(t.track(11)).toBe(false);
    expect(t.unfinished).toBe(1);
  });

  it('accepts new offsets after everything has finished, and does not commit past them', () => {
    const t = new PartitionTracker();
    trackAll(t, [1, 2]);
    t.finish(1);
    t.finish(2);
    expect(t.takeCommit()).toBe(3);
    expect(t.track(5)).toBe(true);
    expect(t.takeCommit()).toBeNull();
    expect(t.finish(5)).toBe(true);
    expect(t.takeCommit()).toBe(6);
  });

  it('ignores finishing an offset twice or one never tracked', () => {
    const t = new PartitionTracker();
    trackAll(t, [0, 1]);
    expect(t.finish(0)).toBe(true);
    expect(t.finish(0)).toBe(false);
    expect(t.finish(42)).toBe(false);
    expect(t.takeCommit()).toBe(1);
    expect(t.unfinished).toBe(1);
  });

  it('returns null from takeCommit when the commit point has not moved since the last take', () => {
    const t = new PartitionTracker();
    trackAll(t, [0, 1]);
    t.finish(0);
    expect(t.takeCommit()).toBe(1);
    expect(t.takeCommit()).toBeNull();
    t.finish(1);
    expect(t.takeCommit()).toBe(2);
    expect(t.takeCommit()).toBeNull();
  });

  it('makes the same offset committable again after commitFailed', () => {
    const t = new PartitionTracker();
    trackAll(t, [0, 1]);
    t.finish(0);
    expect(t.takeCommit()).toBe(1);
    t.commitFailed(1);
    expect(t.takeCommit()).toBe(1);
    expect(t.takeCommit()).toBeNull();
  });

  it('ignores commitFailed for an offset that is no longer the last one taken', () => {
    const t = new PartitionTracker();
    trackAll(t, [0, 1, 2]);
    t.finish(0);
    expect(t.takeCommit()).toBe(1);
    t.finish(1);
    expect(t.takeCommit()).toBe(2);
    t.commitFailed(1);
    expect(t.takeCommit()).toBeNull();
  });

  it('ends at last+1 after 5000 offsets finish in random order, never committing past an unfinished one', () => {
    const t = new PartitionTracker();
    const base = 1_000;
    const offsets = Array.from({ length: 5000 }, (_, i) => base + i);
    trackAll(t, offsets);
    // Before anything finishes the commit point is the first tracked offset: it skips nothing.
    expect(t.takeCommit()).toBe(base);
    const finished = new Set<number>();
    let lastCommit = base;
    for (const o of shuffle(offsets, rng(42))) {
      const moved = t.finish(o);
      finished.add(o);
      const c = t.takeCommit();
      expect(c !== null).toBe(moved);
      if (c !== null) {
        expect(c).toBeGreaterThan(lastCommit);
        // Everything below the commit point is finished; the commit point itself is not.
        expect(finished.has(c)).toBe(false);
        expect(finished.has(c - 1)).toBe(true);
        lastCommit = c;
      }
    }
    expect(lastCommit).toBe(base + 5000);
    expect(t.unfinished).toBe(0);
    expect(t.takeCommit()).toBeNull();
  });

  it('keeps working across internal compaction when tracking and finishing interleave', () => {
    const t = new PartitionTracker();
    const random = rng(7);
    let nextOffset = 0;
    const open: number[] = [];
    const tracked: number[] = [];
    let moves = 0;
    for (let round = 0; round < 60; round++) {
      for (let i = 0; i < 100; i++) {
        // Gaps of 1-3 between offsets.
        nextOffset += 1 + Math.floor(random() * 3);
        expect(t.track(nextOffset)).toBe(true);
        open.push(nextOffset);
        tracked.push(nextOffset);
      }
      // Finish a random half of what is open.
      const picked = shuffle(open, random).slice(0, Math.floor(open.length / 2));
      for (const o of picked) {
        t.finish(o);
        open.splice(open.indexOf(o), 1);
      }
      const c = t.takeCommit();
      // With gaps, the commit point is one past the highest tracked offset below the lowest
      // unfinished one (everything in between does not exist).
      const lowestOpen = Math.min(...open);
      const below = tracked.filter((o) => o < lowestOpen);
      if (c !== null) moves++;
      if (c !== null) expect(c).toBe(below.length ? below[below.length - 1] + 1 : tracked[0]);
      expect(t.unfinished).toBe(open.length);
    }
    expect(moves).toBeGreaterThan(10);
    for (const o of [...open]) t.finish(o);
    expect(t.takeCommit()).toBe(nextOffset + 1);
    t.commitFailed(nextOffset + 1);
    expect(t.takeCommit()).toBe(nextOffset + 1);
  });
});
