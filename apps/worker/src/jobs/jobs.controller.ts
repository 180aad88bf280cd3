import { Controller, Logger } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { JobMessage } from '@gantry/contracts';
import { ScheduledContext } from '@gantry/kafka';
import { JobRunner } from './job-runner.service';

export const RUN_JOB = 'worker.run-job';

@Controller()
export class JobsController {
  private readonly log = new Logger(JobsController.name);

  constructor(private readonly runner: JobRunner) {}

  @EventPattern(RUN_JOB)
  async runJob(@Payload() job: JobMessage, @Ctx() ctx: ScheduledContext): Promise<void> {
    this.log.debug({ msg: 'job dequeued', request_id: job.request_id, priority: job.priority, offset: ctx.meta.offset });
    await this.runner.run(job, ctx.meta);
  }
}
