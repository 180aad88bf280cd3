import { Controller, Get, Param } from '@nestjs/common';
import { AdminOnly } from '../auth/auth.decorators';
import type { QueueView } from './queue-view';
import { QueueService } from './queue.service';

@AdminOnly()
@Controller('admin/queue')
export class QueueController {
  constructor(private readonly queues: QueueService) {}

  /** `GET /admin/queue/{model}` (reference/002): the reference's name (`gemma`, `deepseek`), a pool name or a model alias. */
  @Get(':model')
  view(@Param('model') model: string): Promise<QueueView> {
    return this.queues.view(model);
  }
}
