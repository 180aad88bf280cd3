import type { ChatRequest, Usage } from '@gantry/contracts';
import { BackendError } from './backend-error';

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  model: string;
  choices: Array<{ index: number; message: { role: string; content: string | null }; finish_reason: string | null }>;
  usage?: Usage;
  [extra: string]: unknown;
}

export interface VllmCallOptions {
  model: string;
  /** vLLM priority (lower runs earlier); omitted when undefined. */
  priority?: number;
  signal: AbortSignal;
  timeoutMs: number;
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const secs = Number(header);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** Calls vLLM's OpenAI-compatible `/v1/chat/completions` and classifies failures. */
export class VllmClient {
  constructor(readonly baseUrl: string) {}

  async chat(request: ChatRequest, opts: VllmCallOptions): Promise<ChatCompletion> {
    const body: Record<string, unknown> = {
      model: opts.model,
      messages: request.messages,
      stream: false,
    };
    if (request.max_tokens !== undefined) body.max_tokens = request.max_tokens;
    if (request.temperature !== undefined) body.temperature = request.temperature;
    if (opts.priority !== undefined) body.priority = opts.priority;

    const timeout = AbortSignal.timeout(opts.timeoutMs);
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.any([opts.signal, timeout]),
      });
    } catch (err) {
      if (opts.signal.aborted) throw new BackendError('aborted', 'the job was aborted', false);
      if (timeout.aborted) throw new BackendError('backend_timeout', `no answer from ${this.baseUrl} within ${opts.timeoutMs} ms`, true);
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new BackendError('backend_unreachable', `cannot reach ${this.baseUrl}: ${cause?.code ?? cause?.message ?? String(err)}`, true);
    }
    const text = await res.text().catch(() => '');
    if (res.ok) {
      try {
        return JSON.parse(text) as ChatCompletion;
      } catch {
        throw new BackendError('backend_error', 'backend answered with invalid JSON', true, res.status);
      }
    }
    let message = text.slice(0, 500);
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? message;
    } catch {
      /* not JSON: keep the text */
    }
    if (res.status === 429 || res.status === 503) {
      throw new BackendError('backend_overloaded', `backend busy (${res.status}): ${message}`, true, res.status, retryAfterMs(res.headers.get('retry-after')));
    }
    if (res.status >= 500 || res.status === 408) {
      throw new BackendError('backend_error', `backend error (${res.status}): ${message}`, true, res.status);
    }
    throw new BackendError('backend_rejected', `backend rejected the request (${res.status}): ${message}`, false, res.status);
  }
}
