import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { GatewayEnv } from '@gantry/config';
import { BACKEND_MODEL, poolOfModel, type OcrRequest } from '@gantry/contracts';
import { BlobStore } from '@gantry/db';
import { ApiError } from '../errors/api-error';
import { ImageSafetyService } from '../ocr/image-safety.service';
import { OcrResolutionService } from '../ocr/ocr-resolution.service';
import { uploadFromJson } from '../ocr/ocr-upload';
import { parseResolution } from '../ocr/resolution-header';
import { canonicalJson, checkEnvelope, lineFailure, type CheckedLine } from './batch-line';

const POOL = 'deepseek-ocr' as const;

/**
 * Checks an OCR line (`url: "/api/ocr"`): its body is what `POST /api/ocr` takes as JSON (an
 * `image_url` data URL and the prompt), plus an optional `resolution`. The image goes through the
 * same safety checks as a direct submit; a leader's image is stored once, claim-checked under its
 * child's request id, and the line only keeps the reference.
 */
@Injectable()
export class OcrLineService {
  constructor(
    private readonly safety: ImageSafetyService,
    private readonly blobs: BlobStore,
    private readonly resolutions: OcrResolutionService,
    private readonly env: GatewayEnv,
  ) {}

  async check(text: string, line: number): Promise<CheckedLine> {
    const envelope = checkEnvelope(text, line, '/api/ocr');
    if (!envelope.ok) return envelope;
    const { customId, body } = envelope;
    const fail = (err: unknown) => {
      if (!(err instanceof ApiError)) throw err;
      return lineFailure(line, err.code, err.errors?.length ? `${err.detail} (${err.errors.join('; ')})` : err.detail, 'body', customId);
    };
    try {
      const upload = uploadFromJson(body, this.env.OCR_MAX_FILE_BYTES);
      const requested = parseResolution((body as { resolution?: string }).resolution);
      const model = upload.model ?? BACKEND_MODEL[POOL];
      if (poolOfModel(model) !== POOL) return lineFailure(line, 'model_not_found', `model ${model} is not available for OCR`, 'body.model', customId);
      const file = await this.safety.inspect(upload.bytes, upload.declaredType);
      if (file.kind === 'pdf') return lineFailure(line, 'invalid_body', 'a batch line takes one image; send a PDF to POST /api/ocr', 'body', customId);
      const base: Omit<OcrRequest, 'blob'> = {
        model,
        resolution: requested ?? this.resolutions.current(),
        resolution_source: requested ? 'header' : 'pool_default',
        prompt: upload.prompt,
        ...(upload.target !== undefined ? { target: upload.target } : {}),
        ...(upload.maxTokens !== undefined ? { max_tokens: upload.maxTokens } : {}),
      };
      const image = createHash('sha256').update(file.bytes).digest('hex');
      const hash = createHash('sha256').update(canonicalJson({ ...base, image })).digest('hex');
      return { ok: true, customId, hash, request: async (requestId: string) => ({ ...base, blob: await this.blobs.put(requestId, file.bytes, file.contentType) }) };
    } catch (err) {
      return fail(err);
    }
  }
}
