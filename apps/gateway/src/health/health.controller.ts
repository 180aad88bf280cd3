import { Controller, Get } from '@nestjs/common';

@Controller()
export class HealthController {
  /** Liveness, no auth (reference/002). */
  @Get('health')
  health() {
    return { status: 'healthy', timestamp: new Date().toISOString() };
  }
}
