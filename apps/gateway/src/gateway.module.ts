import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import type { GatewayEnv } from '@gantry/config';
import { DbModule } from '@gantry/db';
import { GantryProducer } from '@gantry/kafka';
import { JobHotStore } from '@gantry/redis';
import type { Redis } from 'ioredis';
import { ApiExceptionFilter } from './errors/api-exception.filter';
import { HealthController } from './health/health.controller';
import { ChatController } from './jobs/chat.controller';
import { JobsController } from './jobs/jobs.controller';
import { JobsService } from './jobs/jobs.service';
import { bodyValidationPipe } from './jobs/validation.pipe';

@Module({})
export class GatewayModule {
  static forRoot(env: GatewayEnv, deps: { producer: GantryProducer; redis: Redis }): DynamicModule {
    return {
      module: GatewayModule,
      imports: [DbModule.forRoot(env)],
      controllers: [ChatController, JobsController, HealthController],
      providers: [
        { provide: GantryProducer, useValue: deps.producer },
        { provide: JobHotStore, useValue: new JobHotStore(deps.redis, env.JOB_HOT_TTL_SECONDS) },
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
        { provide: APP_PIPE, useFactory: bodyValidationPipe },
        JobsService,
      ],
    };
  }
}
