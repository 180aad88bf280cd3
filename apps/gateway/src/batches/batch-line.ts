import { createHash } from 'node:crypto';
import { BATCH_ENDPOINTS, ChatRequestDto, InvalidMessageError, parseMessage, poolOfModel, type BatchEndpoint, type ChatRequest, type JobRequest } from '@gantry/contracts';

export interface LineError {
  code: string;
  message: string;
  param: string | null;
  line: number;
}

/**
 * A checked line: valid (its request, or for OCR a function that stores the image under the child's
 * request id and returns the request: only a leader's image is stored) or its error.
 */
export type CheckedLine =
  | { ok: true; customId: string; request: JobRequest | ((requestId: string) => Promise<JobRequest>); hash: string }
  | { ok: false; customId: string | null; error: LineError };
export type LineFailure = Extract<CheckedLine, { ok: false }>;

export function lineFailure(line: number, code: string, message: string, param: string | null, customId: string | null = null): LineFailure {
  return { ok: false, customId, error: { code, message: `Line ${line}: ${message}`, param, line } };
}

/** JSON with keys sorted at every level: equal requests hash equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Checks a line's envelope `{custom_id, method, url, body}` against the batch's endpoint (no I/O). */
export function checkEnvelope(text: string, line: number, endpoint: BatchEndpoint): { ok: true; customId: string; body: unknown } | LineFailure {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return lineFailure(line, 'invalid_json', 'not valid JSON', null);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return lineFailure(line, 'invalid_json', 'not a JSON object', null);
  const v = value as Record<string, unknown>;
  if (typeof v.custom_id !== 'string' || v.custom_id.length === 0 || v.custom_id.length > 512) {
    return lineFailure(line, 'missing_custom_id', 'custom_id must be a string of 1-512 characters', 'custom_id');
  }
  const customId = v.custom_id;
  if (v.method !== 'POST') return lineFailure(line, 'invalid_method', 'method must be POST', 'method', customId);
  if (typeof v.url !== 'string' || !(BATCH_ENDPOINTS as readonly string[]).includes(v.url)) {
    return lineFailure(line, 'invalid_url', `url must be one of ${BATCH_ENDPOINTS.join(', ')}`, 'url', customId);
  }
  if (v.url !== endpoint) return lineFailure(line, 'mismatched_endpoint', `url ${v.url} does not match the batch endpoint ${endpoint}`, 'url', customId);
  return { ok: true, customId, body: v.body };
}

/** Checks one chat line (`/v1/chat/completions`) against the batch's endpoint (no I/O). */
export function checkLine(text: string, line: number, endpoint: BatchEndpoint): CheckedLine {
  const envelope = checkEnvelope(text, line, endpoint);
  if (!envelope.ok) return envelope;
  const { customId } = envelope;
  let body: ChatRequestDto;
  try {
    body = parseMessage(ChatRequestDto, envelope.body);
  } catch (err) {
    if (err instanceof InvalidMessageError) return lineFailure(line, 'invalid_body', `invalid body (${err.reasons.join('; ')})`, 'body', customId);
    throw err;
  }
  if (poolOfModel(body.model) !== 'gemma') return lineFailure(line, 'model_not_found', `model ${body.model} is not available`, 'body.model', customId);
  const request: ChatRequest = {
    model: body.model,
    messages: body.messages.map((m) => ({ role: m.role, content: m.content })),
    ...(body.max_tokens !== undefined ? { max_tokens: body.max_tokens } : {}),
    ...(body.temperature !== undefined ? { temperature: body.temperature } : {}),
  };
  return { ok: true, customId, request, hash: createHash('sha256').update(canonicalJson(request)).digest('hex') };
}

/** A child job's id, derived from the batch and the line: re-publishing a line gives the same job. */
export function childRequestId(batchId: string, line: number): string {
  const h = createHash('sha1').update(`${batchId}:${line}`).digest('hex');
  // RFC 4122 layout, version 5 (name-based, SHA-1).
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
