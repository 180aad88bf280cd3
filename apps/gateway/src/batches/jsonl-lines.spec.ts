import { ApiError } from '../errors/api-error';
import { jsonlLines, type JsonlLimits } from './jsonl-lines';

const limits: JsonlLimits = { maxBytes: 1000, maxLines: 5, maxLineBytes: 20 };

async function collect(chunks: string[] | Buffer[], l = limits) {
  const stats = { bytes: 0, lines: 0 };
  const out = [];
  async function* src() {
    for (const c of chunks) yield Buffer.isBuffer(c) ? c : Buffer.from(c);
  }
  for await (const line of jsonlLines(src(), l, stats)) out.push(line);
  return { out, stats };
}

const codeOf = (p: Promise<unknown>) => p.then(() => 'none', (e: unknown) => (e instanceof ApiError ? e.code : String(e)));

describe('jsonlLines', () => {
  it('splits lines across chunk borders, numbers them as sent and skips blank ones', async () => {
    const { out, stats } = await collect(['{"a"', ':1}\n\n{"b":2}\r', '\n{"c":3}']);
    expect(out).toEqual([
      { lineNo: 1, text: '{"a":1}' },
      { lineNo: 3, text: '{"b":2}' },
      { lineNo: 4, text: '{"c":3}' },
    ]);
    expect(stats).toEqual({ bytes: 25, lines: 3 });
  });

  it('keeps multi-byte characters split between chunks', async () => {
    const bytes = Buffer.from('"é"\n');
    const { out } = await collect([bytes.subarray(0, 2), bytes.subarray(2)]);
    expect(out[0].text).toBe('"é"');
  });

  it('rejects a line longer than the limit, even without a newline', async () => {
    expect(await codeOf(collect(['x'.repeat(21)]))).toBe('line_too_large');
    expect(await codeOf(collect(['x'.repeat(15), 'x'.repeat(15), '\n']))).toBe('line_too_large');
  });

  it('rejects too many lines, too many bytes, and non-UTF-8 or NUL content', async () => {
    expect(await codeOf(collect(['1\n2\n3\n4\n5\n6\n']))).toBe('too_many_requests');
    expect(await codeOf(collect(['1\n'.repeat(4), 'x'.repeat(1000)], { ...limits, maxLineBytes: 2000 }))).toBe('file_too_large');
    expect(await codeOf(collect([Buffer.from([0xff, 0xfe, 0x0a])]))).toBe('invalid_file');
    expect(await codeOf(collect(['a\u0000b\n']))).toBe('invalid_file');
  });
});
