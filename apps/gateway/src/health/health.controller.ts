import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { liveness, ReadinessService } from '@gantry/health';
import type { HealthCheckResult } from '@nestjs/terminus';
import { Public } from '../auth/auth.decorators';

@Controller('health')
export class HealthController {
  constructor(private readonly readiness: ReadinessService) {}

  /** Liveness, no auth (reference/002): the process answers. */
  @Public()
  @Get()
  health() {
    return liveness();
  }

  /**
   * Readiness: Postgres, Redis, Kafka and each pool's backend answer within 2 s. 503 with the
   * same body (Terminus' `{status, info, error, details}`) when any is down.
   */
  @Public()
  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    const { ok, result } = await this.readiness.check();
    if (!ok) void reply.status(503);
    return result;
  }
}
