import { Body, Controller, Logger, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, type Principal } from '../auth/principal';
import { ApiError, ApiErrorCode } from '../errors/api-error';
import { openAiErrorBody } from '../errors/api-exception.filter';
import { SubmitHeaders } from '../jobs/submit-headers';
import { RequestCacheControl, type CacheDirectives } from '../cache/cache-control';
import { ChatCompletionsDto } from './chat-completions.dto';
import { ChatCompletionsService } from './chat-completions.service';

interface Completion {
  id?: string;
  created?: number;
  model?: string;
  choices?: Array<{ message?: { role?: string; content?: string | null }; finish_reason?: string | null }>;
  usage?: unknown;
}

/** `x-gantry-cache: hit|miss` for cacheable requests (README "Response cache"). */
const cacheHeader = (call: { cache?: 'hit' | 'miss' }): Record<string, string> => (call.cache ? { 'x-gantry-cache': call.cache } : {});

/**
 * `POST /v1/chat/completions`, OpenAI's synchronous chat API, so the official SDKs work with
 * `baseURL` pointed at Gantry. The job is queued like any other (priority from `X-Priority`); the
 * answer is the backend's `chat.completion`, or with `stream: true` server-sent
 * `chat.completion.chunk`s ending with `data: [DONE]`. `x-request-id` names the job.
 */
@Controller('v1/chat')
export class ChatCompletionsController {
  private readonly log = new Logger(ChatCompletionsController.name);

  constructor(private readonly sync: ChatCompletionsService) {}

  @Post('completions')
  async create(
    @CurrentPrincipal() principal: Principal,
    @SubmitHeaders() headers: SubmitHeaders,
    @RequestCacheControl() directives: CacheDirectives,
    @Body() body: ChatCompletionsDto,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const gone = new AbortController();
    let answered = false;
    reply.raw.on('close', () => answered || gone.abort());
    if (body.stream) return this.stream(body, headers, directives, principal, reply, gone.signal, () => (answered = true));

    const call = await this.sync.start(body, headers, principal, gone.signal, undefined, directives);
    const outcome = await call.outcome;
    answered = true;
    if (outcome.status !== 'succeeded') throw this.sync.errorOf(outcome, call.requestId);
    void reply.status(200).headers({ ...call.rateLimitHeaders, 'x-request-id': call.requestId, ...cacheHeader(call) }).send(outcome.result);
  }

  private async stream(
    body: ChatCompletionsDto,
    headers: SubmitHeaders,
    directives: CacheDirectives,
    principal: Principal,
    reply: FastifyReply,
    signal: AbortSignal,
    done: () => void,
  ): Promise<void> {
    const raw = reply.raw;
    const write = (data: unknown) => raw.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
    let id = '';
    const created = Math.floor(Date.now() / 1000);
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model: body.model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    // What the client has been sent; tokens replayed by a retried backend call are skipped.
    let sent = '';
    let next = 0;
    let open = false;
    const early: string[] = [];
    const call = await this.sync.start(
      body,
      headers,
      principal,
      signal,
      (index, delta) => {
        if (index !== next) return;
        next++;
        sent += delta;
        if (open) write(chunk({ content: delta }));
        else early.push(delta);
      },
      directives,
    );
    id = `chatcmpl-${call.requestId.replace(/-/g, '')}`;
    reply.hijack();
    raw.writeHead(200, {
      ...call.rateLimitHeaders,
      'x-request-id': call.requestId,
      ...cacheHeader(call),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    write(chunk({ role: 'assistant', content: '' }));
    open = true;
    // Tokens that came before the headers went out.
    early.splice(0).forEach((delta) => write(chunk({ content: delta })));

    const outcome = await call.outcome;
    done();
    if (outcome.status === 'disconnected') return void raw.end();
    if (outcome.status !== 'succeeded') {
      write(openAiErrorBody(this.sync.errorOf(outcome, call.requestId)));
    } else {
      const completion = (outcome.result ?? {}) as Completion;
      const content = completion.choices?.[0]?.message?.content ?? '';
      // Nobody streamed (a cache hit, or tokens were lost): the rest of the answer goes out as one chunk.
      if (content.startsWith(sent)) {
        if (content.length > sent.length) write(chunk({ content: content.slice(sent.length) }));
        write(chunk({}, completion.choices?.[0]?.finish_reason ?? 'stop'));
        if (body.stream_options?.include_usage) write({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [], usage: completion.usage ?? null });
      } else {
        // A retried backend call answered differently from what was already streamed: the client
        // must not take the mix for an answer. The whole answer stays at GET /api/jobs/{id}.
        this.log.warn({ msg: 'streamed tokens differ from the final answer (a retried backend call)', request_id: call.requestId });
        write(openAiErrorBody(new ApiError(ApiErrorCode.StreamDiverged, `the backend call was retried and answered differently from what was streamed; the answer is at GET /api/jobs/${call.requestId}`)));
      }
    }
    write('[DONE]');
    raw.end();
  }
}
