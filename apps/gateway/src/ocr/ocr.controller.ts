import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayEnv } from '@gantry/config';
import { CurrentPrincipal, type Principal } from '../auth/principal';
import { ApiError, ApiErrorCode } from '../errors/api-error';
import { parseJobSubmitOptions } from '../jobs/job-submit-options';
import { SubmitHeaders } from '../jobs/submit-headers';
import { OcrSubmitService } from './ocr-submit.service';
import { uploadFromJson, uploadFromMultipart } from './ocr-upload';
import { parseResolution } from './resolution-header';

/**
 * `POST /api/ocr` — reference/002: JSON with OpenAI-style `messages` (an `image_url` data URL and
 * the prompt), or multipart/form-data with a `file` (curl -F); either may carry the job options of
 * `POST /api/chat` (`webhook`, `webhook_events_filter`, `ttl`, `execution_timeout`). Answers 202
 * `{request_id, status, resolution, message}`; a PDF also says how many `pages` it became.
 */
@Controller('api')
export class OcrController {
  constructor(
    private readonly ocr: OcrSubmitService,
    private readonly env: GatewayEnv,
  ) {}

  @Post('ocr')
  @HttpCode(202)
  async submit(
    @CurrentPrincipal() principal: Principal,
    @SubmitHeaders() headers: SubmitHeaders,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const requested = parseResolution(req.headers['x-resolution']);
    let upload;
    if (req.isMultipart()) {
      // Multipart bodies stream past Fastify's body limit: the declared length is checked here.
      if (Number(req.headers['content-length'] ?? 0) > this.env.MAX_UPLOAD_BYTES) {
        throw new ApiError(ApiErrorCode.PayloadTooLarge, `Request body is larger than ${this.env.MAX_UPLOAD_BYTES} bytes`);
      }
      upload = await uploadFromMultipart(req, this.env.OCR_MAX_FILE_BYTES);
    } else {
      upload = { ...uploadFromJson(req.body, this.env.OCR_MAX_FILE_BYTES), options: parseJobSubmitOptions(req.body as Record<string, unknown>) };
    }
    const accepted = await this.ocr.submit(upload, headers, requested, principal);
    void reply.headers(accepted.rateLimitHeaders);
    return {
      request_id: accepted.requestId,
      status: 'queued',
      resolution: accepted.resolution,
      message: 'Request queued for OCR processing',
      ...(accepted.pages !== undefined ? { pages: accepted.pages } : {}),
    };
  }
}
