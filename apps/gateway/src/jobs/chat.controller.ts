import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ChatRequestDto } from '@gantry/contracts';
import { JobsService } from './jobs.service';
import { SubmitHeaders } from './submit-headers';

/** `POST /api/chat` — reference/002: 202 `{request_id, status: "queued", message}`. */
@Controller('api')
export class ChatController {
  constructor(private readonly jobs: JobsService) {}

  @Post('chat')
  @HttpCode(202)
  async chat(@SubmitHeaders() headers: SubmitHeaders, @Body() body: ChatRequestDto) {
    const requestId = await this.jobs.submitChat(body, headers);
    return { request_id: requestId, status: 'queued', message: 'Request queued for processing' };
  }
}
