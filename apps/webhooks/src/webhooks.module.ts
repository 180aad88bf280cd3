import { DynamicModule, Module } from '@nestjs/common';
import type { WebhooksEnv } from '@gantry/config';
import { DbModule } from '@gantry/db';
import { GantryProducer } from '@gantry/kafka';
import { AllowList } from '@gantry/webhooks';
import { DeliveryController } from './delivery/delivery.controller';
import { DELIVERY_SETTINGS, DeliveryService } from './delivery/delivery.service';

@Module({})
export class WebhooksModule {
  static forRoot(env: WebhooksEnv, producer: GantryProducer): DynamicModule {
    return {
      module: WebhooksModule,
      imports: [DbModule.forRoot(env)],
      controllers: [DeliveryController],
      providers: [
        { provide: GantryProducer, useValue: producer },
        { provide: DELIVERY_SETTINGS, useValue: { allow: new AllowList(env.WEBHOOK_ALLOWED_HOSTS.split(',')), timeoutMs: env.WEBHOOK_TIMEOUT_MS } },
        DeliveryService,
      ],
    };
  }
}
