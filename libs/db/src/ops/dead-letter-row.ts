import { POOLS, type DeadLetter } from '@gantry/contracts';

/** A dead letter as stored in `dead_letters` (the crash log reads it back). */
export interface DeadLetterRow {
  consumer_group: string;
  source_topic: string;
  source_partition: number;
  source_offset: string;
  key: string | null;
  value: string;
  error: string;
  /** The handler's error stack, when it threw. */
  stack: string | null;
  at: string;
  /** The job the message belonged to, when it can be told from the record. */
  request_id: string | null;
  pool: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const JOB_TOPIC = /^gantry\.jobs\.([a-z0-9-]+)\.(high|normal|low)\.v\d+$/;
const MAX_MS = Date.UTC(9999, 11, 31);

/** Postgres text cannot hold NUL; a letter is stored with it removed rather than failing forever. */
export function withoutNul(s: string): string {
  return s.includes('\u0000') ? s.replace(/\u0000/g, '') : s;
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Maps a DLQ record to its row. Whatever the record holds, the row is one Postgres accepts (no
 * NUL, a timestamp in range): a dead letter that cannot be stored would be dead-lettered again.
 */
export function deadLetterRow(letter: DeadLetter, now = new Date()): DeadLetterRow {
  const original = parseObject(letter.value);
  const rid = original?.request_id;
  const requestId = typeof rid === 'string' && rid.length <= 128 ? rid : letter.key && UUID.test(letter.key) ? letter.key : null;
  const declaredPool = original?.pool;
  const pool =
    typeof declaredPool === 'string' && (POOLS as readonly string[]).includes(declaredPool) ? declaredPool : (JOB_TOPIC.exec(letter.topic)?.[1] ?? null);
  const ms = Date.parse(letter.at);
  return {
    consumer_group: withoutNul(letter.consumer_group),
    source_topic: withoutNul(letter.topic),
    source_partition: letter.partition,
    source_offset: letter.offset,
    key: letter.key == null ? null : withoutNul(letter.key),
    value: withoutNul(letter.value),
    error: withoutNul(letter.error),
    stack: letter.stack ? withoutNul(letter.stack) : null,
    at: Number.isFinite(ms) && ms >= 0 && ms <= MAX_MS ? new Date(ms).toISOString() : now.toISOString(),
    request_id: requestId === null ? null : withoutNul(requestId),
    pool,
  };
}
