import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { WebhookDelivery } from '@gantry/contracts';
import { DeliveryService } from './delivery.service';

export const DELIVER = 'webhooks.deliver';

@Controller()
export class DeliveryController {
  constructor(private readonly deliveries: DeliveryService) {}

  @EventPattern(DELIVER)
  deliver(@Payload() delivery: WebhookDelivery): Promise<void> {
    return this.deliveries.deliver(delivery);
  }
}
