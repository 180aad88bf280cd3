import { DynamicModule, Module } from '@nestjs/common';
import type { WorkerEnv } from '@gantry/config';
import { GantryProducer } from '@gantry/kafka';
import { JobChannels } from '@gantry/redis';
import type { Redis } from 'ioredis';
import { VllmClient } from './backend/vllm.client';
import { JobRunner, RUNNER_SETTINGS, WORKER_REDIS, type RunnerSettings } from './jobs/job-runner.service';
import { JobsController } from './jobs/jobs.controller';
import { OcrModule, type OcrRuntime } from './ocr/ocr.module';

@Module({})
export class WorkerModule {
  static forRoot(deps: {
    producer: GantryProducer;
    backendUrl: string;
    settings: RunnerSettings;
    redis: Redis;
    channels: JobChannels;
    /** OCR pools: the engine and what OCR jobs need (blob store, PDF pages). */
    ocr?: { env: WorkerEnv; runtime: OcrRuntime };
  }): DynamicModule {
    return {
      module: WorkerModule,
      imports: deps.ocr ? [OcrModule.forRoot(deps.ocr.env, deps.ocr.runtime)] : [],
      controllers: [JobsController],
      providers: [
        { provide: GantryProducer, useValue: deps.producer },
        { provide: VllmClient, useValue: new VllmClient(deps.backendUrl) },
        { provide: RUNNER_SETTINGS, useValue: deps.settings },
        { provide: WORKER_REDIS, useValue: deps.redis },
        { provide: JobChannels, useValue: deps.channels },
        JobRunner,
      ],
    };
  }
}
