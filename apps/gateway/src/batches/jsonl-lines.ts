import { ApiError, ApiErrorCode } from '../errors/api-error';

export interface JsonlLimits {
  maxBytes: number;
  maxLines: number;
  maxLineBytes: number;
}

export interface JsonlLine {
  /** 1-based line number in the file as sent (blank lines count, but are not yielded). */
  lineNo: number;
  text: string;
}

const NEWLINE = 0x0a;

/**
 * Splits a byte stream into lines as it arrives: only the current line is ever buffered, so a
 * 200 MB upload costs one line of memory. Limits are checked on the way, before a line is kept.
 */
export async function* jsonlLines(source: AsyncIterable<Buffer>, limits: JsonlLimits, stats: { bytes: number; lines: number }): AsyncGenerator<JsonlLine> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let lineNo = 0;
  const emit = (parts: Buffer[]): JsonlLine | null => {
    lineNo++;
    let text: string;
    try {
      text = decoder.decode(Buffer.concat(parts));
    } catch {
      throw new ApiError(ApiErrorCode.InvalidFile, `Line ${lineNo} is not UTF-8 text; upload a JSONL file`);
    }
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.trim() === '') return null;
    // Postgres text cannot hold NUL, and no JSON line contains a raw one.
    if (text.includes('\u0000')) throw new ApiError(ApiErrorCode.InvalidFile, `Line ${lineNo} contains a NUL byte; upload a JSONL file`);
    stats.lines++;
    if (stats.lines > limits.maxLines) throw new ApiError(ApiErrorCode.TooManyRequests, `The file has more than ${limits.maxLines} requests`);
    return { lineNo, text };
  };
  const tooLong = () => new ApiError(ApiErrorCode.LineTooLarge, `Line ${lineNo + 1} is longer than ${limits.maxLineBytes} bytes`);
  for await (const chunk of source) {
    stats.bytes += chunk.length;
    if (stats.bytes > limits.maxBytes) throw new ApiError(ApiErrorCode.FileTooLarge, `The file is larger than ${limits.maxBytes} bytes`);
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE, start); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
      const piece = chunk.subarray(start, nl);
      if (pendingBytes + piece.length > limits.maxLineBytes) throw tooLong();
      const line = emit([...pending, piece]);
      pending = [];
      pendingBytes = 0;
      start = nl + 1;
      if (line) yield line;
    }
    const rest = chunk.subarray(start);
    pendingBytes += rest.length;
    if (pendingBytes > limits.maxLineBytes) throw tooLong();
    // Copied: the stream may reuse its buffer.
    if (rest.length) pending.push(Buffer.from(rest));
  }
  if (pendingBytes > 0) {
    const line = emit(pending);
    if (line) yield line;
  }
}
