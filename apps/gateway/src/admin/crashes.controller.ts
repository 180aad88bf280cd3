import { Controller, Get, Query } from '@nestjs/common';
import { AdminOnly } from '../auth/auth.decorators';
import { parseListLimit } from './crash-log.limit';
import { CrashLogService, type CrashEntry } from './crash-log.service';

@AdminOnly()
@Controller('admin/crashes')
export class CrashesController {
  constructor(private readonly crashes: CrashLogService) {}

  /** `GET /admin/crashes?limit=` (reference/002): failed jobs and dead letters, newest first. */
  @Get()
  list(@Query('limit') limit: unknown): Promise<CrashEntry[]> {
    return this.crashes.recent(parseListLimit(limit));
  }
}
