import { DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { BackendHealthIndicator, KafkaHealthIndicator, RedisHealthIndicator } from './indicators';
import { READINESS_OPTIONS, ReadinessService, type ReadinessOptions } from './readiness.service';

/** Terminus with Gantry's indicators; exports ReadinessService (used by `/health/ready`). */
@Module({})
export class HealthModule {
  static forRoot(options: ReadinessOptions): DynamicModule {
    return {
      module: HealthModule,
      // ReadinessService logs state changes itself; Terminus would log every failed probe.
      imports: [TerminusModule.forRoot({ logger: false })],
      providers: [{ provide: READINESS_OPTIONS, useValue: options }, RedisHealthIndicator, KafkaHealthIndicator, BackendHealthIndicator, ReadinessService],
      exports: [ReadinessService],
    };
  }
}
