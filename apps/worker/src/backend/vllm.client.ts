import type { ChatRequest, Usage } from '@gantry/contracts';
import { BackendError } from './backend-error';

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created?: number;
  model: string;
  choices: Array<{ index: number; message: { role: string; content: string | null }; finish_reason: string | null }>;
  usage?: Usage;
  [extra: string]: unknown;
}

interface ChatCompletionChunk {
  id: string;
  created?: number;
  model: string;
  choices: Array<{ index: number; delta: { role?: string; content?: string | null }; finish_reason: string | null }>;
  usage?: Usage | null;
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
    const { res, timeout } = await this.post(this.body(request, opts, false), opts);
    const text = await this.read(() => res.text(), opts, timeout);
    try {
      return JSON.parse(text) as ChatCompletion;
    } catch {
      throw new BackendError('backend_error', 'backend answered with invalid JSON', true, res.status);
    }
  }

  /** Sends a body built by the caller (e.g. DeepSeek-OCR's, with its extra sampling fields); not streamed. */
  async completeRaw(body: Record<string, unknown>, opts: VllmCallOptions): Promise<ChatCompletion> {
    const { res, timeout } = await this.post({ ...body, stream: false }, opts);
    const text = await this.read(() => res.text(), opts, timeout);
    try {
      return JSON.parse(text) as ChatCompletion;
    } catch {
      throw new BackendError('backend_error', 'backend answered with invalid JSON', true, res.status);
    }
  }

  /**
   * Streams the completion (`stream: true` with usage), calling `onDelta` per content chunk, and
   * returns the same `chat.completion` object the plain call would.
   */
  async chatStream(request: ChatRequest, opts: VllmCallOptions, onDelta: (delta: string, index: number) => void): Promise<ChatCompletion> {
    const { res, timeout } = await this.post(this.body(request, opts, true), opts);
    if (!res.body) throw new BackendError('backend_error', 'backend sent no stream', true, res.status);
    let id = '';
    let model = opts.model;
    let created: number | undefined;
    let content = '';
    let role = 'assistant';
    let finish: string | null = null;
    let usage: Usage | undefined;
    let index = 0;
    const decoder = new TextDecoder();
    let buffer = '';
    await this.read(async () => {
      for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(part, { stream: true });
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (!line.startsWith('data:')) continue;
          const data = line.slice(5).trim();
          if (data === '[DONE]') continue;
          const chunk = JSON.parse(data) as ChatCompletionChunk;
          id = chunk.id || id;
          model = chunk.model || model;
          created = chunk.created ?? created;
          if (chunk.usage) usage = chunk.usage;
          const choice = chunk.choices?.[0];
          if (!choice) continue;
          if (choice.delta?.role) role = choice.delta.role;
          if (choice.delta?.content) {
            content += choice.delta.content;
            onDelta(choice.delta.content, index++);
          }
          if (choice.finish_reason) finish = choice.finish_reason;
        }
      }
    }, opts, timeout);
    return {
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [{ index: 0, message: { role, content }, finish_reason: finish }],
      ...(usage ? { usage } : {}),
    };
  }

  private body(request: ChatRequest, opts: VllmCallOptions, stream: boolean): Record<string, unknown> {
    const body: Record<string, unknown> = { model: opts.model, messages: request.messages, stream };
    if (stream) body.stream_options = { include_usage: true };
    if (request.max_tokens !== undefined) body.max_tokens = request.max_tokens;
    if (request.temperature !== undefined) body.temperature = request.temperature;
    if (opts.priority !== undefined) body.priority = opts.priority;
    return body;
  }

  /** Sends the request; a non-2xx answer becomes a classified BackendError. */
  private async post(body: Record<string, unknown>, opts: VllmCallOptions): Promise<{ res: Response; timeout: AbortSignal }> {
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
      throw this.transportError(err, opts, timeout);
    }
    if (res.ok) return { res, timeout };
    const text = await res.text().catch(() => '');
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

  /** Reads the body; an abort, timeout or broken connection mid-body is classified like a send error. */
  private async read<T>(fn: () => Promise<T>, opts: VllmCallOptions, timeout: AbortSignal): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof SyntaxError) throw new BackendError('backend_error', 'backend sent an invalid stream chunk', true);
      throw this.transportError(err, opts, timeout);
    }
  }

  private transportError(err: unknown, opts: VllmCallOptions, timeout: AbortSignal): BackendError {
    if (opts.signal.aborted) return new BackendError('aborted', 'the job was aborted', false);
    if (timeout.aborted) return new BackendError('backend_timeout', `no answer from ${this.baseUrl} within ${opts.timeoutMs} ms`, true);
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return new BackendError('backend_unreachable', `cannot reach ${this.baseUrl}: ${cause?.code ?? cause?.message ?? String(err)}`, true);
  }
}
