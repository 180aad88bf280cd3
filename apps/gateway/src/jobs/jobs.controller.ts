import { Controller, Get, Headers, Param } from '@nestjs/common';
import type { JobView } from '@gantry/contracts';
import { ApiError, ApiErrorCode } from '../errors/api-error';
import { JobsService } from './jobs.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Controller('api/jobs')
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

  /** Poll a job. With `X-Client-ID`, only that client's jobs are visible. */
  @Get(':id')
  get(@Param('id') id: string, @Headers('x-client-id') clientId?: string): Promise<JobView> {
    if (!UUID.test(id)) throw new ApiError(ApiErrorCode.InvalidRequestId, 'request_id must be a UUID');
    return this.jobs.get(id.toLowerCase(), clientId || undefined);
  }
}
