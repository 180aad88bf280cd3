import { parseConsoleArgs } from './console-args';
import { bar, formatDuration, isDrained, moveSelection, ThroughputMeter } from './console-model';

describe('console model', () => {
  it('draws bars in proportion, with a visible block for any non-zero value', () => {
    expect(bar(0, 10, 10)).toBe('░'.repeat(10));
    expect(bar(5, 10, 10)).toBe('█'.repeat(5) + '░'.repeat(5));
    expect(bar(30, 10, 10)).toBe('█'.repeat(10));
    expect(bar(1, 1000, 10)).toBe('█' + '░'.repeat(9));
    expect(bar(0, 0, 4)).toBe('░░░░');
  });

  it('formats durations compactly', () => {
    expect(formatDuration(null)).toBe('-');
    expect(formatDuration(45)).toBe('45s');
    expect(formatDuration(725)).toBe('12m05s');
    expect(formatDuration(3 * 3600 + 120)).toBe('3h02m');
    expect(formatDuration(2 * 86_400 + 4 * 3600)).toBe('2d04h');
  });

  it('measures throughput from the processed counter over a sliding window', () => {
    const m = new ThroughputMeter(10_000);
    m.record('gemma', 100, 0);
    expect(m.perSecond('gemma')).toBeNull();
    m.record('gemma', 110, 2_000);
    expect(m.perSecond('gemma')).toBe(5);
    for (let t = 4_000; t <= 30_000; t += 2_000) m.record('gemma', 110, t);
    // Only the last 10 s count: nothing finished in them.
    expect(m.perSecond('gemma')).toBe(0);
    // A counter that goes down starts over instead of showing a negative rate.
    m.record('gemma', 3, 32_000);
    expect(m.perSecond('gemma')).toBeNull();
    expect(m.perSecond('deepseek-ocr')).toBeNull();
  });

  it('a drain is over only when the pool is stopped with nothing in flight', () => {
    expect(isDrained({ desired: 'stopped', status: 'stopped', in_flight: 0 })).toBe(true);
    expect(isDrained({ desired: 'stopped', status: 'stopping', in_flight: 1 })).toBe(false);
    expect(isDrained({ desired: 'running', status: 'running', in_flight: 0 })).toBe(false);
  });

  it('moves the selection with wrap-around', () => {
    expect(moveSelection(0, -1, 2)).toBe(1);
    expect(moveSelection(1, 1, 2)).toBe(0);
    expect(moveSelection(0, 1, 0)).toBe(0);
  });
});

describe('console arguments', () => {
  it('takes a URL, a token and an optional refresh', () => {
    expect(parseConsoleArgs(['http://127.0.0.1:8080/', 'abc.def'])).toEqual({ url: 'http://127.0.0.1:8080', token: 'abc.def', refreshMs: 2000, help: false });
    expect(parseConsoleArgs(['https://gw', 't', '--refresh', '5']).refreshMs).toBe(5000);
    expect(parseConsoleArgs(['--help']).help).toBe(true);
  });

  it('names what is wrong', () => {
    expect(() => parseConsoleArgs([])).toThrow(/two arguments/);
    expect(() => parseConsoleArgs(['http://gw'])).toThrow(/two arguments/);
    expect(() => parseConsoleArgs(['ftp://gw', 't'])).toThrow(/http or https/);
    expect(() => parseConsoleArgs(['not a url', 't'])).toThrow(/not a URL/);
    expect(() => parseConsoleArgs(['http://gw', 'a b'])).toThrow(/token/);
    expect(() => parseConsoleArgs(['http://gw', 't', '--refresh', '0'])).toThrow(/--refresh/);
    expect(() => parseConsoleArgs(['http://gw', 't', '--refresh'])).toThrow(/--refresh/);
    expect(() => parseConsoleArgs(['http://gw', 't', '--verbose'])).toThrow(/unknown option/);
  });
});
