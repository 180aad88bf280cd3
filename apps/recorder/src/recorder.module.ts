import { DynamicModule, Module } from '@nestjs/common';
import type { RecorderEnv } from '@gantry/config';
import { DbModule } from '@gantry/db';
import { JobHotStore } from '@gantry/redis';
import type { Redis } from 'ioredis';
import { RecorderController } from './jobs/recorder.controller';
import { RecorderService } from './jobs/recorder.service';

@Module({})
export class RecorderModule {
  static forRoot(env: RecorderEnv, redis: Redis): DynamicModule {
    return {
      module: RecorderModule,
      imports: [DbModule.forRoot(env)],
      controllers: [RecorderController],
      providers: [{ provide: JobHotStore, useValue: new JobHotStore(redis, env.JOB_HOT_TTL_SECONDS) }, RecorderService],
    };
  }
}
