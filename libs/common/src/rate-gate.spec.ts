import { RateGate } from './rate-gate';

describe('RateGate', () => {
  it('opens once per interval, the first time at once', () => {
    const gate = new RateGate(10_000);
    expect(gate.open(1_000)).toBe(true);
    expect(gate.open(5_000)).toBe(false);
    expect(gate.open(10_999)).toBe(false);
    expect(gate.open(11_000)).toBe(true);
  });
});
