// Experiment behind the validation proposal in bench/FINDINGS.md: CPU per message of
// parseMessage(JobMessageDto, value) (class-transformer + class-validator, what the worker and the
// recorder run on every consumed job message) against a hand-written check of the same rules.
//
//   node -r ./bench/register.js bench/experiments/validation.ts [messages=20000]
import { JobMessageDto, parseMessage } from '@gantry/contracts';
import { jobMessage } from '../lib/jobs';
import { round } from '../lib/stats';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The same rules as JobMessageDto for a chat job, written out (what a compiled schema would do). */
function handWritten(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  const req = m.request as Record<string, unknown> | undefined;
  if (m.schema !== 1 || typeof m.request_id !== 'string' || !UUID.test(m.request_id)) return false;
  if (typeof m.client_id !== 'string' || m.client_id.length === 0 || m.kind !== 'chat' || m.pool !== 'gemma') return false;
  if (typeof m.model !== 'string' || !['high', 'normal', 'low'].includes(m.priority as string)) return false;
  if (typeof m.created_at !== 'string' || Number.isNaN(Date.parse(m.created_at))) return false;
  if (typeof req !== 'object' || req === null || typeof req.model !== 'string' || !Array.isArray(req.messages) || req.messages.length === 0) return false;
  for (const msg of req.messages as Array<Record<string, unknown>>) {
    if (!['system', 'user', 'assistant'].includes(msg.role as string) || typeof msg.content !== 'string' || msg.content.length > 200_000) return false;
  }
  return req.max_tokens === undefined || (Number.isInteger(req.max_tokens) && (req.max_tokens as number) >= 1 && (req.max_tokens as number) <= 32768);
}

function measure(name: string, fn: (v: unknown) => unknown, values: unknown[]) {
  for (const v of values.slice(0, 2000)) fn(v); // warm-up
  const cpu0 = process.cpuUsage();
  for (const v of values) fn(v);
  const cpu = process.cpuUsage(cpu0);
  return { validator: name, messages: values.length, cpuUsPerMessage: round((cpu.user + cpu.system) / values.length, 1) };
}

const n = Number(process.argv[2] ?? 20_000);
// Decoded from JSON each time, as the consumer sees them.
const values = Array.from({ length: n }, () => JSON.parse(JSON.stringify(jobMessage('normal', 'bench'))) as unknown);
console.table([measure('parseMessage(JobMessageDto) (now)', (v) => parseMessage(JobMessageDto, v), values), measure('hand-written checks', handWritten, values)]);
