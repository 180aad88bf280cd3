import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { scrape } from '@gantry/metrics';
import { Public } from '../auth/auth.decorators';

/**
 * Prometheus scrape endpoint. In the embedded process every app shares this one registry, so the
 * gateway's `/metrics` also shows the in-process worker and recorder. Public like `/health`:
 * restrict it at the load balancer if the gateway port is exposed to untrusted networks.
 */
@Controller('metrics')
export class MetricsController {
  @Public()
  @Get()
  async metrics(@Res() reply: FastifyReply): Promise<void> {
    const { contentType, body } = await scrape();
    void reply.header('content-type', contentType).send(body);
  }
}
