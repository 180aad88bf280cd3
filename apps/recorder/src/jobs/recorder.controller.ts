import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { JobEvent, JobMessage } from '@gantry/contracts';
import type { ConsumedMessage } from '@gantry/kafka';
import { RecorderService } from './recorder.service';

export const RECORD_SUBMITTED = 'recorder.record-submitted';
export const RECORD_EVENTS = 'recorder.record-events';

/** Batch handlers: each call gets one fetched partition batch. */
@Controller()
export class RecorderController {
  constructor(private readonly recorder: RecorderService) {}

  @EventPattern(RECORD_SUBMITTED)
  submitted(@Payload() batch: ConsumedMessage<JobMessage>[]): Promise<void> {
    return this.recorder.recordSubmitted(batch);
  }

  @EventPattern(RECORD_EVENTS)
  events(@Payload() batch: ConsumedMessage<JobEvent>[]): Promise<void> {
    return this.recorder.recordEvents(batch);
  }
}
