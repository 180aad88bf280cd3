import { DynamicModule, Module } from '@nestjs/common';
import { GantryProducer } from '@gantry/kafka';
import { VllmClient } from './backend/vllm.client';
import { JobRunner, RUNNER_SETTINGS, type RunnerSettings } from './jobs/job-runner.service';
import { JobsController } from './jobs/jobs.controller';

@Module({})
export class WorkerModule {
  static forRoot(deps: { producer: GantryProducer; backendUrl: string; settings: RunnerSettings }): DynamicModule {
    return {
      module: WorkerModule,
      controllers: [JobsController],
      providers: [
        { provide: GantryProducer, useValue: deps.producer },
        { provide: VllmClient, useValue: new VllmClient(deps.backendUrl) },
        { provide: RUNNER_SETTINGS, useValue: deps.settings },
        JobRunner,
      ],
    };
  }
}
