import type { Logger } from '@nestjs/common';
import { parseTraceparent, TRACEPARENT } from '@gantry/common';
import { TERMINAL_STATUSES, type JobEvent, type JobStatus } from '@gantry/contracts';
import type { ConsumedMessage } from '@gantry/kafka';

/**
 * One debug line per job outcome written, with the job's `request_id` and the `trace_id` its
 * events carry, so a job can be followed from the gateway's lines to the recorder's.
 */
export function logOutcomes(log: Logger, batch: ConsumedMessage<JobEvent>[]): void {
  for (const m of batch) {
    if (!TERMINAL_STATUSES.has(m.value.type as JobStatus)) continue;
    log.debug({ msg: 'job outcome recorded', request_id: m.value.request_id, trace_id: parseTraceparent(m.headers[TRACEPARENT])?.traceId ?? null, status: m.value.type });
  }
}
