import { Controller, HttpCode, Post, Query } from '@nestjs/common';
import { AdminOnly } from '../auth/auth.decorators';
import { ApiError, ApiErrorCode } from '../errors/api-error';
import { OcrResolutionService } from './ocr-resolution.service';
import { parseResolution } from './resolution-header';

/** `POST /admin/ocr/resolution?resolution=…&graceful=…` (reference/002), admins only. */
@AdminOnly()
@Controller('admin/ocr')
export class OcrAdminController {
  constructor(private readonly resolutions: OcrResolutionService) {}

  @Post('resolution')
  @HttpCode(200)
  async switch(@Query('resolution') resolution: string | undefined, @Query('graceful') graceful: string | undefined) {
    const mode = parseResolution(resolution);
    if (!mode) throw new ApiError(ApiErrorCode.InvalidResolution, 'resolution is required: tiny, small, base, large or gundam');
    const g = graceful === undefined || graceful === '' ? 'true' : graceful.toLowerCase();
    if (g !== 'true' && g !== 'false') throw new ApiError(ApiErrorCode.InvalidRequest, 'graceful must be true or false');
    await this.resolutions.switch(mode, g === 'true');
    return { status: 'switched', resolution: mode, message: `OCR resolution switched to ${mode}` };
  }
}
