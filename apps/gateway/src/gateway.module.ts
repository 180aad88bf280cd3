import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import type { GatewayEnv } from '@gantry/config';
import { BatchesDbModule, BlobsDbModule, DbModule } from '@gantry/db';
import { GantryProducer, type KafkaInspector } from '@gantry/kafka';
import { JobChannels, JobHotStore, JobUpdatesHub } from '@gantry/redis';
import type { Redis } from 'ioredis';
import { PoolsModule } from './admin/pools.module';
import { AuthModule } from './auth/auth.module';
import { BATCH_CONTROLLERS, batchProviders } from './batches/batches.providers';
import { ApiExceptionFilter } from './errors/api-exception.filter';
import { OperationsModule } from './health/operations.module';
import { ChatController } from './jobs/chat.controller';
import { JobsController } from './jobs/jobs.controller';
import { GATEWAY_REDIS, JobsService } from './jobs/jobs.service';
import { bodyValidationPipe } from './jobs/validation.pipe';
import { OCR_CONTROLLERS, ocrProviders, type OcrGatewayDeps } from './ocr/ocr.providers';
import { AllowList } from '@gantry/webhooks';
import { WebhookUrlPolicy } from './webhooks/webhook-url.policy';
import { WebhooksController } from './webhooks/webhooks.controller';
import { ChatCompletionsController } from './openai/chat-completions.controller';
import { ModelsController } from './openai/models.controller';
import { ChatCompletionsService } from './openai/chat-completions.service';
import { CacheController } from './cache/cache.controller';
import { ChatCacheService } from './cache/chat-cache.service';
import { WEBHOOK_SECRET_GRACE, WebhooksService } from './webhooks/webhooks.service';

@Module({})
export class GatewayModule {
  static forRoot(env: GatewayEnv, deps: { producer: GantryProducer; redis: Redis; inspector: KafkaInspector; ocr: OcrGatewayDeps }): DynamicModule {
    return {
      module: GatewayModule,
      imports: [DbModule.forRoot(env), AuthModule.forRoot(env, { redis: deps.redis, inspector: deps.inspector }), OperationsModule.forRoot(env, deps), BlobsDbModule, BatchesDbModule, PoolsModule.forRoot(env, { redis: deps.redis, control: deps.ocr.control, controlWriter: deps.ocr.controlWriter })],
      controllers: [ChatController, ChatCompletionsController, ModelsController, CacheController, JobsController, WebhooksController, ...OCR_CONTROLLERS, ...BATCH_CONTROLLERS],
      providers: [
        { provide: GantryProducer, useValue: deps.producer },
        { provide: JobHotStore, useValue: new JobHotStore(deps.redis, env.JOB_HOT_TTL_SECONDS) },
        { provide: GATEWAY_REDIS, useValue: deps.redis },
        { provide: JobChannels, useValue: new JobChannels(env.REDIS_PREFIX) },
        {
          provide: JobUpdatesHub,
          useFactory: (channels: JobChannels) => new JobUpdatesHub(deps.redis, channels),
          inject: [JobChannels],
        },
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
        { provide: APP_PIPE, useFactory: bodyValidationPipe },
        JobsService,
        ChatCacheService,
        ChatCompletionsService,
        ...ocrProviders(env, deps.ocr),
        { provide: WebhookUrlPolicy, useValue: new WebhookUrlPolicy(new AllowList(env.WEBHOOK_ALLOWED_HOSTS.split(','))) },
        { provide: WEBHOOK_SECRET_GRACE, useValue: env.WEBHOOK_SECRET_GRACE_SECONDS },
        WebhooksService,
        ...batchProviders(env),
      ],
    };
  }
}
