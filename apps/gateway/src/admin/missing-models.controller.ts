import { Controller, Get, Query } from '@nestjs/common';
import { AdminOnly } from '../auth/auth.decorators';
import { parseListLimit } from './crash-log.limit';
import { MissingModelsService, type MissingModelEntry } from './missing-models.service';

@AdminOnly()
@Controller('admin/missing-models')
export class MissingModelsController {
  constructor(private readonly missing: MissingModelsService) {}

  /** `GET /admin/missing-models?limit=` (reference/002): requests for models Gantry does not serve, newest first. */
  @Get()
  list(@Query('limit') limit: unknown): Promise<MissingModelEntry[]> {
    return this.missing.recent(parseListLimit(limit));
  }
}
