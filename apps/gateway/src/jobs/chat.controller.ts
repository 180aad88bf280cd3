import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, type Principal } from '../auth/principal';
import { ChatSubmitDto } from './chat-submit.dto';
import { JobsService } from './jobs.service';
import { SubmitHeaders } from './submit-headers';

/** `POST /api/chat` — reference/002: 202 `{request_id, status: "queued", message}`. */
@Controller('api')
export class ChatController {
  constructor(private readonly jobs: JobsService) {}

  @Post('chat')
  @HttpCode(202)
  async chat(
    @CurrentPrincipal() principal: Principal,
    @SubmitHeaders() headers: SubmitHeaders,
    @Body() body: ChatSubmitDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { requestId, rateLimitHeaders } = await this.jobs.submitChat(body, headers, principal);
    void reply.headers(rateLimitHeaders);
    return { request_id: requestId, status: 'queued', message: 'Request queued for processing' };
  }
}
