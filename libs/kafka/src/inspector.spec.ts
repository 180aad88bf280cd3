import { partitionLag } from './inspector';

describe('partitionLag', () => {
  it('is end minus committed', () => {
    expect(partitionLag(10, 0, 4)).toBe(6);
    expect(partitionLag(10, 0, 10)).toBe(0);
  });

  it('counts from the earliest retained offset when the group never committed', () => {
    expect(partitionLag(10, 0, null)).toBe(10);
    expect(partitionLag(10, 3, null)).toBe(7);
    expect(partitionLag(0, 0, null)).toBe(0);
  });

  it('counts from the earliest offset when retention removed what the group had not read', () => {
    expect(partitionLag(100, 60, 20)).toBe(40);
  });

  it('is never negative', () => {
    expect(partitionLag(5, 0, 9)).toBe(0);
  });
});
