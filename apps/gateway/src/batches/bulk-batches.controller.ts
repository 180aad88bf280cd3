import { Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClientScope, submitterClientId } from '../auth/client-scope';
import { CurrentPrincipal, type Principal } from '../auth/principal';
import { ApiError, ApiErrorCode } from '../errors/api-error';
import { BatchesService } from './batches.service';
import { batchView } from './batch-views';
import { BulkBatchesService } from './bulk-batches.service';

/**
 * Gantry's bulk batches: upload a JSONL file (OpenAI's batch line format) in one request, follow
 * its progress, download the results. Another client's batch is a 404; an admin sees all.
 */
@Controller('api/batches')
export class BulkBatchesController {
  constructor(
    private readonly bulk: BulkBatchesService,
    private readonly batches: BatchesService,
  ) {}

  @Post()
  @HttpCode(202)
  async submit(@CurrentPrincipal() principal: Principal, @Req() req: FastifyRequest, @Query() query: Record<string, unknown>) {
    const batch = await this.bulk.submit(req, submitterClientId(req.headers['x-client-id'], principal), query);
    return { ...batchView(batch), message: batch.status === 'failed' ? 'The file has no valid request line; see errors' : 'Batch accepted for processing' };
  }

  @Get()
  async list(@ClientScope() clientId: string | undefined, @Query('after') after?: string, @Query('limit') limit?: string) {
    const n = limit === undefined ? 20 : Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > 100) throw new ApiError(ApiErrorCode.InvalidRequest, 'limit must be an integer from 1 to 100');
    const { rows, hasMore } = await this.batches.list(clientId, after || undefined, n);
    const data = rows.map(batchView);
    return { data, has_more: hasMore, last_id: data[data.length - 1]?.batch_id ?? null };
  }

  @Get(':id')
  async get(@Param('id') id: string, @ClientScope() clientId: string | undefined) {
    return batchView(await this.batches.get(id, clientId));
  }

  @Get(':id/results')
  results(@Param('id') id: string, @ClientScope() clientId: string | undefined, @Res() reply: FastifyReply) {
    return this.stream(id, clientId, 'results', reply);
  }

  @Get(':id/errors')
  errors(@Param('id') id: string, @ClientScope() clientId: string | undefined, @Res() reply: FastifyReply) {
    return this.stream(id, clientId, 'errors', reply);
  }

  @Post(':id/cancel')
  @HttpCode(202)
  async cancel(@Param('id') id: string, @ClientScope() clientId: string | undefined) {
    return batchView(await this.batches.cancel(id, clientId));
  }

  private async stream(id: string, clientId: string | undefined, which: 'results' | 'errors', reply: FastifyReply): Promise<void> {
    const lines = await this.bulk.lines(id, clientId, which);
    await reply.type('application/jsonl').send(lines ?? '');
  }
}
