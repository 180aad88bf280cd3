import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ClientScope, submitterClientId } from '../auth/client-scope';
import { CurrentPrincipal, type Principal } from '../auth/principal';
import { ApiError, ApiErrorCode } from '../errors/api-error';
import { BatchesService } from './batches.service';
import { batchObject } from './openai-objects';

/** OpenAI's Batch API. */
@Controller('v1/batches')
export class BatchesController {
  constructor(private readonly batches: BatchesService) {}

  @Post()
  @HttpCode(200)
  async create(@CurrentPrincipal() principal: Principal, @Req() req: FastifyRequest, @Body() body: unknown) {
    return batchObject(await this.batches.create(body, submitterClientId(req.headers['x-client-id'], principal)));
  }

  @Get()
  async list(@ClientScope() clientId: string | undefined, @Query('after') after?: string, @Query('limit') limit?: string) {
    const n = limit === undefined ? 20 : Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > 100) throw new ApiError(ApiErrorCode.InvalidRequest, 'limit must be an integer from 1 to 100');
    const { rows, hasMore } = await this.batches.list(clientId, after || undefined, n);
    const data = rows.map(batchObject);
    return { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data[data.length - 1]?.id ?? null, has_more: hasMore };
  }

  @Get(':id')
  async get(@Param('id') id: string, @ClientScope() clientId: string | undefined) {
    return batchObject(await this.batches.get(id, clientId));
  }

  @Post(':id/cancel')
  @HttpCode(200)
  async cancel(@Param('id') id: string, @ClientScope() clientId: string | undefined) {
    return batchObject(await this.batches.cancel(id, clientId));
  }
}
