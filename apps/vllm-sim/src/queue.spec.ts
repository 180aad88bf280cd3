import { PriorityQueue, type QueueEntry } from './queue';

interface E extends QueueEntry {
  name: string;
}

function entry(name: string, priority: number, arrival: number): E {
  return { name, priority, arrival, heapIndex: -1 };
}

describe('PriorityQueue (vLLM priority scheduling order)', () => {
  it('pops lowest priority first, FIFO among equals', () => {
    const q = new PriorityQueue<E>();
    const input: Array<[string, number]> = [['a', 5], ['b', 0], ['c', 2], ['d', 0], ['e', 5], ['f', -1]];
    input.forEach(([n, p], i) => q.push(entry(n, p, i)));
    const out: string[] = [];
    for (let e = q.pop(); e !== undefined; e = q.pop()) out.push(e.name);
    expect(out).toEqual(['f', 'b', 'd', 'c', 'a', 'e']);
    expect(q.size).toBe(0);
  });

  it('removes arbitrary entries and stays consistent (randomised against a sorted reference)', () => {
    let x = 12345;
    const rand = (n: number) => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return (x >>> 8) % n;
    };
    const q = new PriorityQueue<E>();
    let ref: E[] = [];
    let arrival = 0;
    for (let step = 0; step < 5000; step++) {
      const op = rand(10);
      if (op < 5) {
        const e = entry(`e${arrival}`, rand(4), arrival++);
        q.push(e);
        ref.push(e);
      } else if (op < 8) {
        ref.sort((a, b) => a.priority - b.priority || a.arrival - b.arrival);
        const expected = ref.shift();
        expect(q.pop()).toBe(expected);
        if (expected) expect(expected.heapIndex).toBe(-1);
      } else if (ref.length > 0) {
        const victim = ref[rand(ref.length)];
        expect(q.remove(victim)).toBe(true);
        expect(q.remove(victim)).toBe(false);
        ref = ref.filter((e) => e !== victim);
      }
      expect(q.size).toBe(ref.length);
    }
    expect(q.drain()).toHaveLength(ref.length);
    expect(q.size).toBe(0);
  });
});
