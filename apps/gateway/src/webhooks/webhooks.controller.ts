import { Body, Controller, createParamDecorator, Delete, ExecutionContext, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { submitterClientId } from '../auth/client-scope';
import { ApiError, ApiErrorCode } from '../errors/api-error';
import { CreateEndpointDto } from './webhooks.dto';
import { WebhooksService } from './webhooks.service';

/** The client these routes act for: the credential's own, or the one an admin names. */
const ActingClient = createParamDecorator((_: unknown, ctx: ExecutionContext): string => {
  const req = ctx.switchToHttp().getRequest<FastifyRequest>();
  return submitterClientId(req.headers['x-client-id'], req.principal);
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Controller('api/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post('endpoints')
  @HttpCode(201)
  create(@ActingClient() clientId: string, @Body() body: CreateEndpointDto) {
    return this.webhooks.createEndpoint(clientId, body.url, body.description);
  }

  @Get('endpoints')
  list(@ActingClient() clientId: string) {
    return this.webhooks.listEndpoints(clientId);
  }

  @Delete('endpoints/:id')
  @HttpCode(204)
  async remove(@ActingClient() clientId: string, @Param('id') id: string): Promise<void> {
    await this.webhooks.deleteEndpoint(clientId, id);
  }

  @Post('endpoints/:id/rotate-secret')
  rotate(@ActingClient() clientId: string, @Param('id') id: string) {
    return this.webhooks.rotateEndpointSecret(clientId, id);
  }

  @Get('secret')
  secret(@ActingClient() clientId: string) {
    return this.webhooks.clientSecret(clientId);
  }

  @Post('secret/rotate')
  rotateSecret(@ActingClient() clientId: string) {
    return this.webhooks.rotateClientSecret(clientId);
  }

  @Get('deliveries')
  deliveries(@ActingClient() clientId: string, @Query('request_id') requestId?: string, @Query('limit') limit?: string, @Query('batch_id') batchId?: string) {
    if (requestId !== undefined && !UUID.test(requestId)) throw new ApiError(ApiErrorCode.InvalidRequestId, 'request_id must be a UUID');
    const n = limit === undefined ? 100 : Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw new ApiError(ApiErrorCode.InvalidRequest, 'limit must be a whole number from 1 to 1000');
    return this.webhooks.deliveries(clientId, { requestId: requestId?.toLowerCase(), batchId: batchId || undefined }, n);
  }

  @Post('deliveries/:webhookId/replay')
  @HttpCode(202)
  replay(@ActingClient() clientId: string, @Param('webhookId') webhookId: string) {
    return this.webhooks.replay(clientId, webhookId);
  }
}
