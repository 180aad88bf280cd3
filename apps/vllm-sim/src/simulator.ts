// vLLM simulator: a stand-in for vLLM's OpenAI-compatible server (no GPU needed).
//
// Seen from an HTTP client it behaves like `vllm serve`: same routes, same JSON shapes,
// a scheduler with `--max-num-seqs` running slots and a priority waiting queue, TTFT and
// inter-token latency, deterministic output, client-abort handling and vLLM's metric
// names. It is also the baseline of the benchmarks, so the request path is kept lean:
// plain Fastify, raw writes, no timers at all when latencies are zero.
//
// Routes: POST /v1/chat/completions, GET /v1/models, GET /health, GET /metrics.
// DeepSeek-OCR: a request with an image for a model named *OCR* gets a grounding-format
// answer derived from the image, and pays its resolution mode's vision tokens (see ocr.ts).
// Test directives, anywhere in a message's text:
//   [[sim:fail=<status>:<n>]]  the first n requests with this exact body (priority
//                              ignored) fail with <status> (429 adds Retry-After: 1)
//   [[sim:hang]]               take a slot and never answer until the client aborts
//   [[sim:tokens=N]]           produce exactly N completion tokens (max_tokens still caps)

import { createHash, randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { ModelTally, SimMetrics } from './metrics';
import { PriorityQueue, type QueueEntry } from './queue';
import { isOcrModel, ocrAnswer, ocrImage, ocrTokens, ocrVariant, visionTokens } from './ocr';
import { type ChatRequest, MEDIA_PART_TOKENS, parseChatRequest } from './request';
import { avalanche, fnv1a, fnvInt, generateTokens, unitFloat } from './tokens';

export type FailMode = 'rate_limit' | 'server_error' | 'hang';

export interface SimOptions {
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 8000; 0 = ephemeral. */
  port?: number;
  /** Served model ids; default ['gemma-3-4b-it', 'google/gemma-3-4b-it', 'deepseek-ai/DeepSeek-OCR']. */
  models?: string[];
  /** Time to first token (after a slot is free), default 0. */
  ttftMs?: number;
  /** Inter-token latency, default 0. */
  itlMs?: number;
  /** Max concurrently running sequences (vLLM --max-num-seqs), default 256. */
  maxNumSeqs?: number;
  /** Waiting-queue limit; a request that would exceed it gets 503. Default Infinity. */
  maxWaiting?: number;
  /** Default 0; output is deterministic for (seed, request). */
  seed?: number;
  /** Completion tokens when max_tokens is absent, default 16. */
  defaultCompletionTokens?: number;
  /** 0..1 probability of an injected failure per request, deterministic by seed + request counter. */
  failRate?: number;
  /** 429 with Retry-After: 1 / 500 / never answers (until the client aborts). Default 'server_error'. */
  failMode?: FailMode;
  /** Context window (prompt + max_tokens), reported by /v1/models; default 8192 as vLLM's 400 check. */
  maxModelLen?: number;
  /** OCR models: prefill time per vision token of the image's resolution mode, default 0. */
  visionTokenMs?: number;
  /**
   * Model loading after the port opens: `/health` and chat answer 503 this long (vLLM is not
   * ready before its weights are loaded), so supervisors can be shown to wait for health. Default 0.
   */
  startupDelayMs?: number;
  /** vLLM's `--mm-processor-kwargs` (image sizes fixed at start); only reported, default ''. */
  mmProcessorKwargs?: string;
}

export interface SimStats {
  /** Chat-completion requests received (including invalid and failed ones). */
  received: number;
  /** Requests answered successfully (complete response written). */
  completed: number;
  /** Requests whose client went away while waiting or generating. */
  aborted: number;
  /** Chat-completion requests answered with an error status (4xx/5xx, injected or not). */
  failed: number;
  /** Subset of `failed`: 503s because the waiting queue was full (maxWaiting). */
  rejected: number;
  running: number;
  waiting: number;
  maxRunning: number;
  /** Time during which running >= maxNumSeqs. */
  saturatedMs: number;
  /** Time during which running > 0. */
  busyMs: number;
  /** Time since start, or since the last resetStats(). */
  uptimeMs: number;
  /** The last 1000 chat-completion bodies received, oldest first. */
  requests: Array<{ at: number; body: unknown }>;
}

export interface Simulator {
  url: string;
  port: number;
  stats(): SimStats;
  /** Zeroes the counters and the request log, and restarts the fail directives / failRate sequence. */
  resetStats(): void;
  /** Changes options live (latencies apply to sequences started afterwards); host/port are fixed once listening. */
  configure(patch: Partial<SimOptions>): void;
  close(): Promise<void>;
}

export const DEFAULT_MODELS: readonly string[] = ['gemma-3-4b-it', 'google/gemma-3-4b-it', 'deepseek-ai/DeepSeek-OCR'];

type Resolved = Required<SimOptions>;

const DEFAULTS: Resolved = {
  host: '127.0.0.1',
  port: 8000,
  models: [...DEFAULT_MODELS],
  ttftMs: 0,
  itlMs: 0,
  maxNumSeqs: 256,
  maxWaiting: Infinity,
  seed: 0,
  defaultCompletionTokens: 16,
  failRate: 0,
  failMode: 'server_error',
  maxModelLen: 8192,
  visionTokenMs: 0,
  startupDelayMs: 0,
  mmProcessorKwargs: '',
};

const FAIL_MODES: readonly FailMode[] = ['rate_limit', 'server_error', 'hang'];
const REQUEST_LOG_SIZE = 1000;
const BODY_LIMIT = 128 * 1024 * 1024; // base64 images can be large
const CHAT_PATH = '/v1/chat/completions';
const KNOWN_PATHS = new Set([CHAT_PATH, '/v1/models', '/health', '/metrics']);

const JSON_TYPE = 'application/json';
const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8' };

function validate(o: Resolved): void {
  const nonNeg = (k: keyof Resolved) => {
    const v = o[k];
    if (typeof v !== 'number' || !(v >= 0)) throw new RangeError(`vllm-sim: ${k} must be a number >= 0, got ${String(v)}`);
  };
  const posInt = (k: keyof Resolved) => {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      throw new RangeError(`vllm-sim: ${k} must be an integer >= 1, got ${String(v)}`);
    }
  };
  nonNeg('ttftMs');
  nonNeg('itlMs');
  nonNeg('visionTokenMs');
  nonNeg('startupDelayMs');
  nonNeg('maxWaiting');
  nonNeg('port');
  posInt('maxNumSeqs');
  posInt('defaultCompletionTokens');
  posInt('maxModelLen');
  if (!Number.isInteger(o.seed)) throw new RangeError(`vllm-sim: seed must be an integer, got ${o.seed}`);
  if (!(o.failRate >= 0 && o.failRate <= 1)) throw new RangeError(`vllm-sim: failRate must be in [0, 1], got ${o.failRate}`);
  if (!FAIL_MODES.includes(o.failMode)) throw new RangeError(`vllm-sim: failMode must be one of ${FAIL_MODES.join(', ')}`);
  if (!Array.isArray(o.models) || o.models.length === 0 || o.models.some((m) => typeof m !== 'string' || m === '')) {
    throw new RangeError('vllm-sim: models must be a non-empty list of model ids');
  }
}

/** vLLM's error type names, derived from the HTTP reason phrase ("Not Found" → "NotFoundError"). */
function errorType(status: number): string {
  const phrase = (STATUS_CODES[status] ?? 'Unknown').replace(/[^A-Za-z]/g, '');
  return phrase.endsWith('Error') ? phrase : `${phrase}Error`;
}

export function errorBody(status: number, message: string): string {
  return JSON.stringify({ object: 'error', message, type: errorType(status), param: null, code: status });
}

function writeJson(res: ServerResponse, status: number, payload: string, extra?: Record<string, string>): void {
  const headers: Record<string, string | number> = { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(payload) };
  if (extra !== undefined) Object.assign(headers, extra);
  res.writeHead(status, headers);
  res.end(payload);
}

const WAITING = 0;
const RUNNING = 1;
const DONE = 2;

interface Job extends QueueEntry {
  state: number;
  res: ServerResponse;
  req: ChatRequest;
  model: string;
  tally: ModelTally;
  hang: boolean;
  tokens: string[];
  finish: 'stop' | 'length';
  id: string;
  created: number;
  /** Stream: `data: {"id":...,"choices":[` shared by every chunk. */
  chunkPrefix: string;
  arrivedAt: number;
  startedAt: number;
  firstTokenAt: number;
  /** Stream: tokens written so far. */
  sent: number;
  /** OCR: vision-token prefill added to the time to first token. */
  prefillMs: number;
  /** OCR tokens may hold newlines and quotes: escaped when streamed. */
  escape: boolean;
  timer: NodeJS.Timeout | undefined;
}

class SimulatorImpl implements Simulator {
  url = '';
  port = 0;

  private opts: Resolved;
  private readonly app: FastifyInstance;
  private readonly metrics: SimMetrics;
  private tallies = new Map<string, ModelTally>();
  private modelsPayload = '';
  private readonly queue = new PriorityQueue<Job>();
  private readonly active = new Set<Job>();
  private pumping = false;
  private closed = false;

  private readonly idPrefix = randomBytes(8).toString('hex');
  private idCounter = 0;
  private arrivals = 0;
  private failDraws = 0;
  private failCounters = new Map<string, number>();

  // stats
  private running = 0;
  private received = 0;
  private completed = 0;
  private aborted = 0;
  private failed = 0;
  private rejected = 0;
  private maxRunning = 0;
  private busyMs = 0;
  private busySince = -1;
  private saturatedMs = 0;
  private saturatedSince = -1;
  private statsSince = performance.now();
  private log: Array<{ at: number; body: unknown }> = [];
  private logPos = 0;

  constructor(opts: SimOptions) {
    const resolved: Resolved = { ...DEFAULTS };
    for (const [k, v] of Object.entries(opts)) if (v !== undefined) (resolved as Record<string, unknown>)[k] = v;
    resolved.models = [...resolved.models];
    validate(resolved);
    this.opts = resolved;
    this.applyModels();
    this.metrics = new SimMetrics(
      () => this.tallies.values(),
      () => this.opts.maxNumSeqs,
    );
    this.app = this.buildApp();
  }

  // --- HTTP ------------------------------------------------------------------------

  private buildApp(): FastifyInstance {
    const app = Fastify({
      logger: false,
      bodyLimit: BODY_LIMIT,
      forceCloseConnections: true,
      requestTimeout: 0,
      keepAliveTimeout: 75_000,
    });

    // vLLM (FastAPI) parses the body as JSON whatever the content type says; so do we,
    // with plain JSON.parse (fast) and a vLLM-shaped 400 on failure.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
      if (request.is404) return done(null, undefined);
      try {
        done(null, JSON.parse(body as string));
      } catch (e) {
        const err = new Error(`JSON decode error: ${(e as Error).message}`) as FastifyError;
        err.statusCode = 400;
        done(err, undefined);
      }
    });

    app.setErrorHandler((err: FastifyError, request, reply) => {
      const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
      if (request.routeOptions.url === CHAT_PATH) {
        this.received++;
        this.failed++;
      }
      void reply.code(status).type(JSON_TYPE).send(errorBody(status, err.message));
    });

    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?', 1)[0];
      if (KNOWN_PATHS.has(path)) {
        void reply.code(405).type(JSON_TYPE).send('{"detail":"Method Not Allowed"}');
      } else {
        void reply.code(404).type(JSON_TYPE).send('{"detail":"Not Found"}');
      }
    });

    app.post(CHAT_PATH, (request, reply) => this.chat(request, reply));
    app.get('/v1/models', (_request, reply) => {
      void reply.type(JSON_TYPE).send(this.modelsPayload);
    });
    app.get('/health', (_request, reply) => {
      void reply.code(this.loading() ? 503 : 200).send();
    });
    app.get('/metrics', async (_request, reply) => {
      const text = await this.metrics.render();
      void reply.type(this.metrics.contentType);
      return text;
    });
    return app;
  }

  private readyAt = 0;

  /** Still "loading the model" (startupDelayMs after listening). */
  private loading(): boolean {
    return performance.now() < this.readyAt;
  }

  async listen(): Promise<void> {
    await this.app.listen({ host: this.opts.host, port: this.opts.port });
    this.readyAt = performance.now() + this.opts.startupDelayMs;
    const addr = this.app.server.address() as AddressInfo;
    this.port = addr.port;
    let host = this.opts.host;
    if (host === '0.0.0.0') host = '127.0.0.1';
    else if (host === '::') host = '::1';
    this.url = `http://${host.includes(':') ? `[${host}]` : host}:${this.port}`;
  }

  // --- chat completions ---------------------------------------------------------------

  private chat(request: FastifyRequest, reply: FastifyReply): void {
    reply.hijack();
    const res = reply.raw;
    const body = request.body;
    this.received++;
    this.record(body);

    if (this.loading()) return this.fail(res, 503, 'The model is still loading.');
    const parsed = parseChatRequest(body);
    if (!parsed.ok) return this.fail(res, 400, parsed.message);
    const req = parsed.req;
    const opts = this.opts;

    const model = req.model ?? opts.models[0];
    const tally = this.tallies.get(model);
    if (tally === undefined) return this.fail(res, 404, `The model \`${model}\` does not exist.`);

    const maxLen = opts.maxModelLen;
    if (req.promptTokens > maxLen) {
      return this.fail(
        res,
        400,
        `This model's maximum context length is ${maxLen} tokens. However, your request has ${req.promptTokens} input tokens. Please reduce the length of the input messages.`,
      );
    }
    if (req.maxTokens !== undefined && req.promptTokens + req.maxTokens > maxLen) {
      return this.fail(
        res,
        400,
        `'max_tokens' or 'max_completion_tokens' is too large: ${req.maxTokens}. This model's maximum context length is ${maxLen} tokens and your request has ${req.promptTokens} input tokens (${req.maxTokens} > ${maxLen} - ${req.promptTokens}).`,
      );
    }

    // DeepSeek-OCR: the answer comes from the image and the prompt; the image costs its mode's vision tokens.
    let ocr: { tokens: string[]; prefillMs: number } | null = null;
    if (isOcrModel(model) && req.images.length > 0) {
      // An image whose size cannot be read (not a PNG/JPEG data URL) costs a generic image's tokens.
      const image = ocrImage(req.images[0]) ?? { width: 0, height: 0, hash: fnv1a(req.images[0]) };
      const vision = req.images.reduce((n, url) => {
        const img = url === req.images[0] ? image : ocrImage(url);
        return n + (img && img.width > 0 ? visionTokens(img.width, img.height) : MEDIA_PART_TOKENS);
      }, 0);
      req.promptTokens += vision - MEDIA_PART_TOKENS * req.images.length;
      const { variant, target } = ocrVariant(req.promptText);
      ocr = { tokens: ocrTokens(ocrAnswer(image, variant, target)), prefillMs: vision * opts.visionTokenMs };
    }

    // Failure injection: explicit per-body directives first, then the random-looking rate.
    const d = req.directives;
    let hang = d?.hang === true;
    if (d?.failStatus !== undefined && d.failCount !== undefined) {
      const key = bodyKey(body);
      const used = this.failCounters.get(key) ?? 0;
      if (used < d.failCount) {
        this.failCounters.set(key, used + 1);
        return this.injectedFailure(res, d.failStatus);
      }
    }
    if (opts.failRate > 0 && !hang && unitFloat(opts.seed, this.failDraws++) < opts.failRate) {
      if (opts.failMode === 'rate_limit') return this.injectedFailure(res, 429);
      if (opts.failMode === 'server_error') return this.injectedFailure(res, 500);
      hang = true;
    }

    // Deterministic content: (sim seed, model, request seed, messages).
    const natural = ocr ? ocr.tokens.length : (d?.tokens ?? 16 + (avalanche(fnv1a(model, fnvInt(req.contentHash, opts.seed))) % 48));
    let count: number;
    if (req.maxTokens !== undefined) count = Math.min(req.maxTokens, natural);
    else if (ocr || d?.tokens !== undefined) count = Math.min(natural, Math.max(1, maxLen - req.promptTokens));
    else count = Math.min(opts.defaultCompletionTokens, natural);
    const finish = count < natural && (req.maxTokens !== undefined || d?.tokens !== undefined || ocr !== null) ? 'length' : 'stop';
    const textHash = avalanche(fnvInt(fnv1a(model, req.contentHash), opts.seed ^ 0x2545f491));
    const makeTokens = () => (ocr ? ocr.tokens.slice(0, count) : generateTokens(textHash, count));
    const prefillMs = ocr?.prefillMs ?? 0;

    const id = `chatcmpl-${this.idPrefix}${(this.idCounter++).toString(16).padStart(16, '0')}`;
    const created = Math.floor(Date.now() / 1000);

    // Fast path: a free slot and no latency: answer right now, no job, no timers.
    if (!hang && opts.ttftMs === 0 && opts.itlMs === 0 && prefillMs === 0 && this.running < opts.maxNumSeqs) {
      if (this.running + 1 > this.maxRunning) this.maxRunning = this.running + 1;
      const tokens = makeTokens();
      if (req.stream) {
        const prefix = chunkPrefix(id, created, model);
        let out = roleChunk(prefix);
        for (let i = 0; i < count; i++) out += tokenChunk(prefix, ocr ? escapeJson(tokens[i]) : tokens[i], i === count - 1 ? finish : null);
        if (req.includeUsage) out += usageChunk(prefix, req.promptTokens, count);
        out += DONE_EVENT;
        res.writeHead(200, SSE_HEADERS);
        res.end(out);
      } else {
        writeJson(res, 200, completionBody(id, created, model, tokens.join(''), finish, req.promptTokens, count));
      }
      this.completed++;
      tally.promptTokens += req.promptTokens;
      tally.generationTokens += count;
      if (finish === 'stop') tally.successStop++;
      else tally.successLength++;
      this.metrics.observe(model, 0, 0);
      return;
    }

    // Admission: start now, queue, or refuse when the waiting queue is full.
    const canStart = this.running < opts.maxNumSeqs;
    if (!canStart && this.queue.size >= opts.maxWaiting) {
      this.rejected++;
      return this.fail(res, 503, `Server overloaded: the waiting queue is full (${this.queue.size} requests waiting).`);
    }
    if (res.destroyed || request.raw.socket?.destroyed) {
      this.aborted++;
      tally.successAbort++;
      return;
    }

    const job: Job = {
      priority: req.priority,
      arrival: this.arrivals++,
      heapIndex: -1,
      state: WAITING,
      res,
      req,
      model,
      tally,
      hang,
      tokens: hang ? [] : makeTokens(),
      finish,
      id,
      created,
      chunkPrefix: req.stream ? chunkPrefix(id, created, model) : '',
      arrivedAt: performance.now(),
      startedAt: 0,
      firstTokenAt: 0,
      sent: 0,
      timer: undefined,
      prefillMs,
      escape: ocr !== null,
    };
    this.active.add(job);
    res.once('close', () => this.onClientGone(job));
    if (req.stream) {
      // Like uvicorn's StreamingResponse: 200 + headers go out at once, chunks follow.
      res.writeHead(200, SSE_HEADERS);
      res.flushHeaders();
    }
    if (canStart) {
      this.start(job);
    } else {
      tally.waiting++;
      this.queue.push(job);
    }
  }

  private fail(res: ServerResponse, status: number, message: string, extra?: Record<string, string>): void {
    this.failed++;
    writeJson(res, status, errorBody(status, message), extra);
  }

  private injectedFailure(res: ServerResponse, status: number): void {
    if (status === 429) {
      this.fail(res, 429, 'Simulated rate limit: too many requests, retry later.', { 'retry-after': '1' });
    } else {
      this.fail(res, status, `Simulated failure (HTTP ${status}).`);
    }
  }

  private record(body: unknown): void {
    const entry = { at: Date.now(), body };
    if (this.log.length < REQUEST_LOG_SIZE) {
      this.log.push(entry);
    } else {
      this.log[this.logPos] = entry;
      this.logPos = (this.logPos + 1) % REQUEST_LOG_SIZE;
    }
  }

  // --- scheduling ----------------------------------------------------------------------

  private start(job: Job): void {
    job.state = RUNNING;
    job.startedAt = performance.now();
    job.tally.running++;
    const r = ++this.running;
    if (r > this.maxRunning) this.maxRunning = r;
    if (r === 1) this.busySince = job.startedAt;
    if (r >= this.opts.maxNumSeqs && this.saturatedSince < 0) this.saturatedSince = job.startedAt;

    if (job.hang) return; // holds the slot until the client goes away
    const { itlMs } = this.opts;
    const ttftMs = this.opts.ttftMs + job.prefillMs;
    if (job.req.stream) {
      if (ttftMs > 0) job.timer = setTimeout(streamFirst, ttftMs, this, job);
      else this.streamFirst(job);
    } else {
      const total = ttftMs + (job.tokens.length - 1) * itlMs;
      if (total > 0) job.timer = setTimeout(finishPlain, total, this, job);
      else this.finishPlain(job);
    }
  }

  private release(job: Job): void {
    job.tally.running--;
    const r = --this.running;
    if (this.saturatedSince >= 0 || r === 0) {
      const now = performance.now();
      if (this.saturatedSince >= 0 && r < this.opts.maxNumSeqs) {
        this.saturatedMs += now - this.saturatedSince;
        this.saturatedSince = -1;
      }
      if (r === 0 && this.busySince >= 0) {
        this.busyMs += now - this.busySince;
        this.busySince = -1;
      }
    }
    this.pump();
  }

  /** Starts waiting jobs while slots are free: lowest priority value first, FIFO among equals. */
  private pump(): void {
    if (this.pumping || this.closed) return;
    this.pumping = true;
    try {
      while (this.running < this.opts.maxNumSeqs) {
        const job = this.queue.pop();
        if (job === undefined) break;
        job.tally.waiting--;
        this.start(job);
      }
    } finally {
      this.pumping = false;
    }
  }

  private onClientGone(job: Job): void {
    if (job.state === DONE) return;
    if (job.state === WAITING) {
      this.queue.remove(job);
      job.tally.waiting--;
      job.state = DONE;
    } else {
      if (job.timer !== undefined) clearTimeout(job.timer);
      job.state = DONE;
      this.release(job);
    }
    this.active.delete(job);
    this.aborted++;
    job.tally.successAbort++;
  }

  private complete(job: Job, now: number): void {
    job.state = DONE;
    this.active.delete(job);
    this.completed++;
    const t = job.tally;
    t.promptTokens += job.req.promptTokens;
    t.generationTokens += job.tokens.length;
    if (job.finish === 'stop') t.successStop++;
    else t.successLength++;
    this.metrics.observe(job.model, (job.firstTokenAt - job.arrivedAt) / 1000, (now - job.arrivedAt) / 1000);
    this.release(job);
  }

  // --- generation ------------------------------------------------------------------------

  finishPlain(job: Job): void {
    if (job.state !== RUNNING) return;
    job.timer = undefined;
    const now = performance.now();
    job.firstTokenAt = job.startedAt + this.opts.ttftMs + job.prefillMs;
    const { req, tokens } = job;
    writeJson(
      job.res,
      200,
      completionBody(job.id, job.created, job.model, tokens.join(''), job.finish, req.promptTokens, tokens.length),
    );
    this.complete(job, now);
  }

  streamFirst(job: Job): void {
    if (job.state !== RUNNING) return;
    job.timer = undefined;
    job.firstTokenAt = performance.now();
    job.res.write(roleChunk(job.chunkPrefix));
    this.streamNext(job);
  }

  streamNext(job: Job): void {
    if (job.state !== RUNNING) return;
    const { tokens, res } = job;
    const n = tokens.length;
    const itl = this.opts.itlMs;
    // With no inter-token latency the rest of the answer goes out in one write.
    const upto = itl > 0 ? job.sent + 1 : n;
    let out = '';
    for (let i = job.sent; i < upto; i++) out += tokenChunk(job.chunkPrefix, job.escape ? escapeJson(tokens[i]) : tokens[i], i === n - 1 ? job.finish : null);
    job.sent = upto;
    if (upto < n) {
      res.write(out);
      if (job.timer === undefined) job.timer = setTimeout(streamNext, itl, this, job);
      else job.timer.refresh();
      return;
    }
    job.timer = undefined;
    if (job.req.includeUsage) out += usageChunk(job.chunkPrefix, job.req.promptTokens, n);
    out += DONE_EVENT;
    res.end(out);
    this.complete(job, performance.now());
  }

  // --- public API ----------------------------------------------------------------------

  stats(): SimStats {
    const now = performance.now();
    const busy = this.busyMs + (this.busySince >= 0 ? now - this.busySince : 0);
    const saturated = this.saturatedMs + (this.saturatedSince >= 0 ? now - this.saturatedSince : 0);
    const log = this.log;
    const requests = log.length < REQUEST_LOG_SIZE ? log.slice() : [...log.slice(this.logPos), ...log.slice(0, this.logPos)];
    return {
      received: this.received,
      completed: this.completed,
      aborted: this.aborted,
      failed: this.failed,
      rejected: this.rejected,
      running: this.running,
      waiting: this.queue.size,
      maxRunning: this.maxRunning,
      saturatedMs: saturated,
      busyMs: busy,
      uptimeMs: now - this.statsSince,
      requests,
    };
  }

  resetStats(): void {
    const now = performance.now();
    this.received = 0;
    this.completed = 0;
    this.aborted = 0;
    this.failed = 0;
    this.rejected = 0;
    this.maxRunning = this.running;
    this.busyMs = 0;
    this.saturatedMs = 0;
    if (this.busySince >= 0) this.busySince = now;
    if (this.saturatedSince >= 0) this.saturatedSince = now;
    this.statsSince = now;
    this.log = [];
    this.logPos = 0;
    // Injection state too, so a test starts from a clean, reproducible simulator.
    this.failCounters = new Map();
    this.failDraws = 0;
  }

  configure(patch: Partial<SimOptions>): void {
    const next: Resolved = { ...this.opts };
    for (const [k, v] of Object.entries(patch)) if (v !== undefined) (next as Record<string, unknown>)[k] = v;
    next.models = [...next.models];
    validate(next);
    const modelsChanged = next.models.join('\n') !== this.opts.models.join('\n') || next.maxModelLen !== this.opts.maxModelLen;
    this.opts = next;
    if (modelsChanged) this.applyModels();
    // Saturation is relative to maxNumSeqs: re-evaluate, then fill any new slots.
    const now = performance.now();
    if (this.running >= next.maxNumSeqs && this.saturatedSince < 0) this.saturatedSince = now;
    else if (this.running < next.maxNumSeqs && this.saturatedSince >= 0) {
      this.saturatedMs += now - this.saturatedSince;
      this.saturatedSince = -1;
    }
    this.pump();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const job of this.active) {
      if (job.timer !== undefined) clearTimeout(job.timer);
      job.state = DONE;
      job.res.destroy();
    }
    this.active.clear();
    this.queue.drain();
    await this.app.close();
  }

  private applyModels(): void {
    const old = this.tallies;
    this.tallies = new Map(this.opts.models.map((m) => [m, old.get(m) ?? new ModelTally(m)]));
    const created = Math.floor(Date.now() / 1000);
    this.modelsPayload = JSON.stringify({
      object: 'list',
      data: this.opts.models.map((id) => ({
        id,
        object: 'model',
        created,
        owned_by: 'vllm',
        root: id,
        parent: null,
        max_model_len: this.opts.maxModelLen,
        permission: [],
      })),
    });
  }
}

// Timer callbacks as plain functions (no per-token closures).
function streamFirst(sim: SimulatorImpl, job: Job): void {
  sim.streamFirst(job);
}
function streamNext(sim: SimulatorImpl, job: Job): void {
  sim.streamNext(job);
}
function finishPlain(sim: SimulatorImpl, job: Job): void {
  sim.finishPlain(job);
}

/** Key of a body for `[[sim:fail=...]]` counters: the exact JSON, `priority` excluded. */
function bodyKey(body: unknown): string {
  const json = JSON.stringify(body, function (this: unknown, key: string, value: unknown) {
    return this === body && key === 'priority' ? undefined : value;
  });
  return createHash('sha1').update(json).digest('base64');
}

// --- response builders (vLLM's exact shapes) ------------------------------------------------

function completionBody(
  id: string,
  created: number,
  model: string,
  content: string,
  finish: string,
  promptTokens: number,
  completionTokens: number,
): string {
  return JSON.stringify({
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, reasoning_content: null, tool_calls: [] },
        logprobs: null,
        finish_reason: finish,
        stop_reason: null,
      },
    ],
    usage: {
      prompt_tokens: promptTokens,
      total_tokens: promptTokens + completionTokens,
      completion_tokens: completionTokens,
      prompt_tokens_details: null,
    },
    prompt_logprobs: null,
  });
}

const DONE_EVENT = 'data: [DONE]\n\n';

function chunkPrefix(id: string, created: number, model: string): string {
  return `data: {"id":"${id}","object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"choices":[`;
}

function roleChunk(prefix: string): string {
  return `${prefix}{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}\n\n`;
}

/** A string's JSON form without the quotes (for tokens that are not plain vocabulary words). */
function escapeJson(token: string): string {
  return JSON.stringify(token).slice(1, -1);
}

function tokenChunk(prefix: string, token: string, finish: string | null): string {
  // Vocabulary words need no JSON escaping.
  return finish === null
    ? `${prefix}{"index":0,"delta":{"content":"${token}"},"logprobs":null,"finish_reason":null}]}\n\n`
    : `${prefix}{"index":0,"delta":{"content":"${token}"},"logprobs":null,"finish_reason":"${finish}","stop_reason":null}]}\n\n`;
}

function usageChunk(prefix: string, promptTokens: number, completionTokens: number): string {
  return `${prefix}],"usage":{"prompt_tokens":${promptTokens},"total_tokens":${promptTokens + completionTokens},"completion_tokens":${completionTokens}}}\n\n`;
}

export async function startSimulator(opts: SimOptions = {}): Promise<Simulator> {
  const sim = new SimulatorImpl(opts);
  await sim.listen();
  return sim;
}
