import { JsonLogger } from './json-logger';
import { childOf, currentTrace, formatTraceparent, newTrace, parseTraceparent, runWithTrace, traceFromHeaders, traceHeaders } from './trace-context';

const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('trace context', () => {
  it('parses a valid traceparent and formats it back', () => {
    const ctx = parseTraceparent(VALID)!;
    expect(ctx).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', flags: '01' });
    expect(formatTraceparent(ctx)).toBe(VALID);
  });

  it('accepts upper case and a future version with extra fields', () => {
    expect(parseTraceparent(VALID.toUpperCase())?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra')?.spanId).toBe('00f067aa0ba902b7');
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['garbage', 'hello'],
    ['short trace id', '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01'],
    ['all-zero trace id', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`],
    ['all-zero span id', `00-4bf92f3577b34da6a3ce929d0e0e4736-${'0'.repeat(16)}-01`],
    ['version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['version 00 with extra fields', `${VALID}-extra`],
    ['non-hex', '00-4bf92f3577b34da6a3ce929d0e0e473z-00f067aa0ba902b7-01'],
  ])('rejects a %s traceparent', (_name, header) => {
    expect(parseTraceparent(header)).toBeNull();
  });

  it('starts new traces with random non-zero ids that format as valid traceparents', () => {
    const a = newTrace('req-1');
    const b = newTrace();
    expect(a.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(a.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(a.traceId).not.toBe(b.traceId);
    expect(a.requestId).toBe('req-1');
    expect(parseTraceparent(formatTraceparent(a))).toEqual({ traceId: a.traceId, spanId: a.spanId, flags: '01' });
  });

  it('a child keeps the trace id and flags and gets a new span id', () => {
    const parent = parseTraceparent(VALID)!;
    const child = childOf(parent, 'req-2');
    expect(child.traceId).toBe(parent.traceId);
    expect(child.flags).toBe('01');
    expect(child.spanId).not.toBe(parent.spanId);
    expect(child.requestId).toBe('req-2');
  });

  it('reads and writes the Kafka headers of a job', () => {
    const ctx = traceFromHeaders({ traceparent: VALID, 'x-request-id': 'abc' })!;
    expect(ctx).toMatchObject({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', requestId: 'abc' });
    expect(traceHeaders(ctx)).toEqual({ traceparent: VALID, 'x-request-id': 'abc' });
    expect(traceFromHeaders({ 'x-request-id': 'abc' })).toBeNull();
  });

  it('is current only inside runWithTrace, across awaits', async () => {
    const ctx = newTrace('r');
    expect(currentTrace()).toBeUndefined();
    await runWithTrace(ctx, async () => {
      await new Promise((r) => setTimeout(r, 1));
      expect(currentTrace()).toBe(ctx);
    });
    expect(currentTrace()).toBeUndefined();
  });
});

describe('JsonLogger with a trace context', () => {
  function capture(fn: () => void): Array<Record<string, unknown>> {
    const lines: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      fn();
    } finally {
      spy.mockRestore();
    }
    return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  it('adds trace_id and request_id to lines written inside the context, not outside', () => {
    const logger = new JsonLogger('info', { app: 'test' });
    const ctx = newTrace('11111111-1111-1111-1111-111111111111');
    const [inside, outside] = capture(() => {
      runWithTrace(ctx, () => logger.log({ msg: 'in' }));
      logger.log({ msg: 'out' });
    });
    expect(inside).toMatchObject({ msg: 'in', app: 'test', trace_id: ctx.traceId, request_id: ctx.requestId });
    expect(outside).not.toHaveProperty('trace_id');
    expect(outside).not.toHaveProperty('request_id');
  });

  it('lets the message name its own request_id', () => {
    const logger = new JsonLogger('info');
    const [line] = capture(() => runWithTrace(newTrace('from-context'), () => logger.log({ msg: 'x', request_id: 'explicit' })));
    expect(line.request_id).toBe('explicit');
  });
});
