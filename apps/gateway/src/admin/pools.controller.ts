import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { OCR_RESOLUTIONS, type OcrResolution } from '@gantry/contracts';
import { AdminOnly } from '../auth/auth.decorators';
import { ApiError, ApiErrorCode } from '../errors/api-error';
import { parseResolution } from '../ocr/resolution-header';
import { adminNameOf, type AdminPoolName } from './pool-names';
import type { PoolView } from './pool-view';
import { PoolsService } from './pools.service';

/** `?graceful=` of a stop: `true` (default) or `false`, any case; anything else is a 400. */
export function parseGraceful(raw: unknown): boolean {
  if (raw === undefined || raw === '') return true;
  const value = typeof raw === 'string' ? raw.toLowerCase() : '';
  if (value !== 'true' && value !== 'false') {
    throw new ApiError(ApiErrorCode.InvalidRequest, 'graceful must be true or false', ['graceful: must be true or false']);
  }
  return value === 'true';
}

/** `/admin/models` (reference/002): every pool's state, and starting or stopping one. */
@AdminOnly()
@Controller('admin/models')
export class PoolsController {
  constructor(private readonly pools: PoolsService) {}

  @Get()
  list(): Promise<Record<AdminPoolName, PoolView>> {
    return this.pools.list();
  }

  /** `?resolution=` (OCR pool only) also sets the pool's default resolution, as in the reference. */
  @Post(':name/start')
  @HttpCode(200)
  async start(@Param('name') name: string, @Query('resolution') resolution: unknown) {
    const pool = this.pools.resolve(name);
    let mode: OcrResolution | undefined;
    try {
      mode = parseResolution(resolution as string | string[] | undefined);
    } catch {
      throw new ApiError(ApiErrorCode.InvalidResolution, `resolution must be one of ${OCR_RESOLUTIONS.join(', ')}`);
    }
    if (mode && pool !== 'deepseek-ocr') throw new ApiError(ApiErrorCode.InvalidRequest, `pool ${pool} has no resolution`, ['resolution: only the deepseek-ocr pool has one']);
    await this.pools.start(pool, mode);
    return { status: 'started', model: adminNameOf(pool) };
  }

  @Post(':name/stop')
  @HttpCode(200)
  async stop(@Param('name') name: string, @Query('graceful') graceful: unknown) {
    const pool = this.pools.resolve(name);
    const isGraceful = parseGraceful(graceful);
    await this.pools.stop(pool, isGraceful);
    return { status: 'stopped', model: adminNameOf(pool), graceful: isGraceful };
  }
}
