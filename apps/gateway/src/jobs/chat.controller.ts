import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, type Principal } from '../auth/principal';
import { RequestCacheControl, type CacheDirectives } from '../cache/cache-control';
import { ChatSubmitDto } from './chat-submit.dto';
import { JobsService } from './jobs.service';
import { SubmitHeaders } from './submit-headers';

/**
 * `POST /api/chat` — reference/002: 202 `{request_id, status: "queued", message}`. A response
 * cache hit is also a 202, with a new job that has already `succeeded` (`x-gantry-cache: hit`).
 */
@Controller('api')
export class ChatController {
  constructor(private readonly jobs: JobsService) {}

  @Post('chat')
  @HttpCode(202)
  async chat(
    @CurrentPrincipal() principal: Principal,
    @SubmitHeaders() headers: SubmitHeaders,
    @RequestCacheControl() directives: CacheDirectives,
    @Body() body: ChatSubmitDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { requestId, rateLimitHeaders, cache } = await this.jobs.submitChat(body, headers, principal, undefined, { directives, route: '/api/chat' });
    void reply.headers({ ...rateLimitHeaders, ...(cache ? { 'x-gantry-cache': cache } : {}) });
    // A hit says what is true: the job has already succeeded (polling it shows the answer).
    if (cache === 'hit') return { request_id: requestId, status: 'succeeded', message: 'Answered from the response cache', from_cache: true };
    return { request_id: requestId, status: 'queued', message: 'Request queued for processing' };
  }
}
