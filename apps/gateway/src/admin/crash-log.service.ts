import { Injectable } from '@nestjs/common';
import { CrashLogRepository, type CrashRecord } from '@gantry/db';

/** One crash-log entry: the reference's fields (reference/002) plus where it came from. */
export interface CrashEntry {
  timestamp: string;
  error: string;
  /** The pool (`gemma`, `deepseek-ocr`), as the reference names models; null when unknown. */
  model: string | null;
  request_id: string | null;
  /**
   * Where one exists: a job that failed inside the worker (its blob, image or PDF, an in-process
   * engine) or a dead letter of a handler that threw. Null for a backend's answer (a rejection, a
   * timeout) and for messages that could not be decoded or validated.
   */
  stack_trace: string | null;
  /** `job`: a job that failed for good; `dead_letter`: a message a consumer could not process. */
  source: CrashRecord['source'];
  /** The job's error code (`backend_timeout`, `backend_rejected`, …); null for dead letters. */
  code: string | null;
  /** Dead letters only: where the message was and who could not process it. */
  topic?: string;
  partition?: number;
  offset?: string;
  consumer_group?: string;
}

export function toCrashEntry(r: CrashRecord): CrashEntry {
  const entry: CrashEntry = {
    timestamp: new Date(r.at).toISOString(),
    error: r.error,
    model: r.pool,
    request_id: r.request_id,
    stack_trace: r.stack ?? null,
    source: r.source,
    code: r.code,
  };
  if (r.source === 'dead_letter') {
    if (r.topic !== null) entry.topic = r.topic;
    if (r.partition !== null) entry.partition = r.partition;
    if (r.offset !== null) entry.offset = r.offset;
    if (r.consumer_group !== null) entry.consumer_group = r.consumer_group;
  }
  return entry;
}

@Injectable()
export class CrashLogService {
  constructor(private readonly repo: CrashLogRepository) {}

  /** Failed jobs and dead letters, newest first. */
  async recent(limit: number): Promise<CrashEntry[]> {
    return (await this.repo.recent(limit)).map(toCrashEntry);
  }
}
