import * as http from 'node:http';
import * as https from 'node:https';
import type { IncomingMessage } from 'node:http';
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

/** A response whose body is still to be read; `done()` releases the deadline and abort listener. */
interface Call {
  res: IncomingMessage;
  done(): void;
  timedOut(): boolean;
}

async function readText(res: IncomingMessage): Promise<string> {
  res.setEncoding('utf8');
  let text = '';
  for await (const part of res as AsyncIterable<string>) text += part;
  return text;
}

/** Calls vLLM's OpenAI-compatible `/v1/chat/completions` and classifies failures. */
export class VllmClient {
  private readonly endpoint: URL | null;
  private readonly transport: typeof http | typeof https;
  private readonly agent: http.Agent;

  /** `baseUrl` may be empty where a pool has no HTTP backend (tesseract OCR); calls then fail as unreachable. */
  constructor(readonly baseUrl: string) {
    this.endpoint = URL.canParse(`${baseUrl}/`) ? new URL(`${baseUrl.replace(/\/+$/, '')}/v1/chat/completions`) : null;
    this.transport = this.endpoint?.protocol === 'https:' ? https : http;
    // Keep-alive: one connection per concurrent job, reused; lifo keeps the warm ones busy.
    this.agent = new this.transport.Agent({ keepAlive: true, scheduling: 'lifo' });
  }

  /** Closes idle keep-alive connections when the worker's module shuts down. */
  onModuleDestroy(): void {
    this.agent.destroy();
  }

  async chat(request: ChatRequest, opts: VllmCallOptions): Promise<ChatCompletion> {
    const call = await this.post(this.body(request, opts, false), opts);
    return this.readJson(call, opts);
  }

  /** Sends a body built by the caller (e.g. DeepSeek-OCR's, with its extra sampling fields); not streamed. */
  async completeRaw(body: Record<string, unknown>, opts: VllmCallOptions): Promise<ChatCompletion> {
    const call = await this.post({ ...body, stream: false }, opts);
    return this.readJson(call, opts);
  }

  private async readJson(call: Call, opts: VllmCallOptions): Promise<ChatCompletion> {
    const text = await this.read(() => readText(call.res), opts, call);
    try {
      return JSON.parse(text) as ChatCompletion;
    } catch {
      throw new BackendError('backend_error', 'backend answered with invalid JSON', true, call.res.statusCode);
    }
  }

  /**
   * Streams the completion (`stream: true` with usage), calling `onDelta` per content chunk, and
   * returns the same `chat.completion` object the plain call would.
   */
  async chatStream(request: ChatRequest, opts: VllmCallOptions, onDelta: (delta: string, index: number) => void): Promise<ChatCompletion> {
    const call = await this.post(this.body(request, opts, true), opts);
    let id = '';
    let model = opts.model;
    let created: number | undefined;
    let content = '';
    let role = 'assistant';
    let finish: string | null = null;
    let usage: Usage | undefined;
    let index = 0;
    let buffer = '';
    await this.read(async () => {
      call.res.setEncoding('utf8');
      for await (const part of call.res as AsyncIterable<string>) {
        buffer += part;
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
    }, opts, call);
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
  private async post(body: Record<string, unknown>, opts: VllmCallOptions): Promise<Call> {
    if (opts.signal.aborted) throw new BackendError('aborted', 'the job was aborted', false);
    const payload = Buffer.from(JSON.stringify(body));
    let call: Call;
    try {
      call = await this.send(payload, opts);
    } catch (err) {
      // A keep-alive socket the server closed while idle (uvicorn drops them after 5 s) fails
      // before the request reached it: sending once more on a fresh socket is safe.
      if (!(err as { reusedSocket?: boolean }).reusedSocket || (err as NodeJS.ErrnoException).code !== 'ECONNRESET' || opts.signal.aborted) {
        throw this.transportError(err, opts, false);
      }
      try {
        call = await this.send(payload, opts);
      } catch (again) {
        throw this.transportError(again, opts, false);
      }
    }
    const { res } = call;
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return call;
    const text = await readText(res).catch(() => '');
    call.done();
    let message = text.slice(0, 500);
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? message;
    } catch {
      /* not JSON: keep the text */
    }
    if (status === 429 || status === 503) {
      const retryAfter = res.headers['retry-after'];
      throw new BackendError('backend_overloaded', `backend busy (${status}): ${message}`, true, status, retryAfterMs(typeof retryAfter === 'string' ? retryAfter : null));
    }
    if (status >= 500 || status === 408) {
      throw new BackendError('backend_error', `backend error (${status}): ${message}`, true, status);
    }
    throw new BackendError('backend_rejected', `backend rejected the request (${status}): ${message}`, false, status);
  }

  /**
   * One POST over the keep-alive agent. `node:http` rather than `fetch`: measured 213 µs of CPU per
   * call against 600–830 µs for fetch with AbortSignal.any + AbortSignal.timeout (bench/FINDINGS.md).
   * The job's signal and the deadline destroy the request, and with it the response mid-body.
   */
  private send(payload: Buffer, opts: VllmCallOptions): Promise<Call> {
    const endpoint = this.endpoint;
    if (!endpoint) return Promise.reject(new Error(`not an http(s) URL: "${this.baseUrl}"`));
    return new Promise<Call>((resolve, reject) => {
      let res: IncomingMessage | undefined;
      let timedOut = false;
      const kill = (err: Error) => {
        req.destroy(err);
        res?.destroy(err);
      };
      const timer = setTimeout(() => {
        timedOut = true;
        kill(new Error('deadline passed'));
      }, opts.timeoutMs);
      const onAbort = () => kill(new Error('aborted'));
      opts.signal.addEventListener('abort', onAbort, { once: true });
      const done = () => {
        clearTimeout(timer);
        opts.signal.removeEventListener('abort', onAbort);
      };
      const req = this.transport.request(endpoint, {
        method: 'POST',
        agent: this.agent,
        headers: { 'content-type': 'application/json', 'content-length': payload.length },
      }, (response) => {
        res = response;
        resolve({ res: response, done, timedOut: () => timedOut });
      });
      // `on`, not `once`: a socket can fail again after the response arrived.
      req.on('error', (err: Error & { reusedSocket?: boolean }) => {
        if (res) return;
        done();
        err.reusedSocket = req.reusedSocket;
        reject(timedOut ? Object.assign(err, { timedOut: true }) : err);
      });
      req.end(payload);
    });
  }

  /** Reads the body; an abort, timeout or broken connection mid-body is classified like a send error. */
  private async read<T>(fn: () => Promise<T>, opts: VllmCallOptions, call: Call): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof SyntaxError) throw new BackendError('backend_error', 'backend sent an invalid stream chunk', true);
      throw this.transportError(err, opts, call.timedOut());
    } finally {
      call.done();
    }
  }

  private transportError(err: unknown, opts: VllmCallOptions, timedOut: boolean): BackendError {
    if (opts.signal.aborted) return new BackendError('aborted', 'the job was aborted', false);
    if (timedOut || (err as { timedOut?: boolean }).timedOut) return new BackendError('backend_timeout', `no answer from ${this.baseUrl} within ${opts.timeoutMs} ms`, true);
    const e = err as { code?: string; message?: string };
    return new BackendError('backend_unreachable', `cannot reach ${this.baseUrl}: ${e.code ?? e.message ?? String(err)}`, true);
  }
}
