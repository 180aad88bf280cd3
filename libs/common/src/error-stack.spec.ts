import { errorStack, MAX_STACK_CHARS } from './error-stack';

describe('errorStack', () => {
  it('returns the stack with its cause appended', () => {
    const cause = new TypeError('inner');
    const stack = errorStack(new Error('outer', { cause }))!;
    expect(stack).toMatch(/^Error: outer\n\s+at /);
    expect(stack).toContain('\nCaused by: TypeError: inner\n');
  });

  it('is undefined for non-errors and cut to a bounded length', () => {
    expect(errorStack('boom')).toBeUndefined();
    expect(errorStack({ message: 'x', stack: 'y' })).toBeUndefined();
    const big = new Error('big');
    big.stack = 'x'.repeat(MAX_STACK_CHARS * 2);
    expect(errorStack(big)!.length).toBeLessThanOrEqual(MAX_STACK_CHARS + 2);
  });
});
