import type { BenchContext } from '../lib/context';
import { fig, type ScenarioResult } from '../lib/report';

/** Batch: issue 5 (bulk JSONL batches) is not built yet, so there is nothing to measure. */
export function batch(_ctx: BenchContext): Promise<ScenarioResult> {
  return Promise.resolve({
    name: 'batch',
    title: 'Batch: accept and expand a 50,000-line batch',
    method: ['Not measurable: `POST /api/batches` and batch expansion (issue 5) do not exist yet. Once they land, this scenario uploads a 50,000-line JSONL file and measures time to accepted and to all jobs queued, and the gateway\'s and expander\'s peak RSS.'],
    figures: [
      fig('time to accept and expand 50,000 lines', 's', null, null, { target: 'measured', met: null, note: 'batches (issue 5) not built yet' }),
      fig('peak memory while expanding', 'MiB', null, null, { met: null, note: 'batches (issue 5) not built yet' }),
    ],
    details: {},
    notes: ['Batches are tracked by issue 5; this scenario reports "not measurable" until they exist.'],
  });
}
