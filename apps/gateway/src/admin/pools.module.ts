import { DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import type { Redis } from 'ioredis';
import { ocrBackendOf, GatewayEnv } from '@gantry/config';
import { BackendHealthIndicator } from '@gantry/health';
import { PoolControlReader, PoolControlWriter } from '@gantry/kafka';
import { WorkerRegistry } from '@gantry/redis';
import { poolBackends } from '../health/operations.module';
import { PoolsController } from './pools.controller';
import { POOL_BACKENDS, PoolsService, type PoolBackends } from './pools.service';

/** `/admin/models`: pool state from the control topic, workers from their heartbeats, backend health. */
@Module({})
export class PoolsModule {
  static forRoot(env: GatewayEnv, deps: { redis: Redis; control: PoolControlReader; controlWriter: PoolControlWriter }): DynamicModule {
    const urls = poolBackends(env);
    const backends: PoolBackends = {
      gemma: { engine: 'vllm', url: urls.gemma ?? null },
      'deepseek-ocr': { engine: ocrBackendOf(env), url: urls['deepseek-ocr'] ?? null },
    };
    return {
      module: PoolsModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [PoolsController],
      providers: [
        { provide: GatewayEnv, useValue: env },
        { provide: PoolControlReader, useValue: deps.control },
        { provide: PoolControlWriter, useValue: deps.controlWriter },
        { provide: WorkerRegistry, useValue: new WorkerRegistry(deps.redis) },
        { provide: POOL_BACKENDS, useValue: backends },
        BackendHealthIndicator,
        PoolsService,
      ],
    };
  }
}
