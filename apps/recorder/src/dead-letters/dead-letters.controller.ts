import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { DeadLetter } from '@gantry/contracts';
import type { ConsumedMessage } from '@gantry/kafka';
import { DeadLettersService } from './dead-letters.service';

export const RECORD_DEAD_LETTERS = 'recorder.record-dead-letters';

/** Batch handler for `gantry.dlq.v1`: dead letters become crash-log rows. */
@Controller()
export class DeadLettersController {
  constructor(private readonly deadLetters: DeadLettersService) {}

  @EventPattern(RECORD_DEAD_LETTERS)
  record(@Payload() batch: ConsumedMessage<DeadLetter>[]): Promise<void> {
    return this.deadLetters.record(batch);
  }
}
