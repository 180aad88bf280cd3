import { DynamicModule, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import type { Redis } from 'ioredis';
import { ocrBackendOf, type GatewayEnv } from '@gantry/config';
import type { PoolName } from '@gantry/contracts';
import { OpsDbModule } from '@gantry/db';
import { HealthModule } from '@gantry/health';
import { KafkaInspector, TopicNamer } from '@gantry/kafka';
import { WorkerRegistry } from '@gantry/redis';
import { parsePoolLimits } from '../admission/shed';
import { CrashLogService } from '../admin/crash-log.service';
import { CrashesController } from '../admin/crashes.controller';
import { MissingModelsController } from '../admin/missing-models.controller';
import { MissingModelInterceptor } from '../admin/missing-models.interceptor';
import { MissingModelsService } from '../admin/missing-models.service';
import { QueueController } from '../admin/queue.controller';
import { QUEUE_LIMITS, QueueService } from '../admin/queue.service';
import { HealthController } from './health.controller';
import { KafkaLagWatch } from './kafka-lag.watch';
import { MetricsController } from './metrics.controller';

/** Model servers the gateway checks for readiness: pools served over HTTP (tesseract runs in the worker). */
export function poolBackends(env: GatewayEnv): Partial<Record<PoolName, string>> {
  return {
    gemma: env.GEMMA_BACKEND_URL,
    ...(ocrBackendOf(env) === 'vllm' && env.OCR_BACKEND_URL ? { 'deepseek-ocr': env.OCR_BACKEND_URL } : {}),
  };
}

/** The `vendor` label of a pool's requests: the engine that serves it. */
export function vendorOf(env: GatewayEnv): (pool: PoolName) => string {
  return (pool) => (pool === 'deepseek-ocr' ? ocrBackendOf(env) : 'vllm');
}

/**
 * What operators use on the gateway (issue 7): `/health`, `/health/ready`, `/metrics`,
 * `/admin/queue/{model}`, `/admin/crashes`, `/admin/missing-models`, and the recording of
 * requests for unknown models.
 */
@Module({})
export class OperationsModule {
  static forRoot(env: GatewayEnv, deps: { redis: Redis; inspector: KafkaInspector }): DynamicModule {
    const backends = Object.fromEntries(Object.entries(poolBackends(env)).filter(([, url]) => url)) as Record<string, string>;
    return {
      module: OperationsModule,
      imports: [OpsDbModule, HealthModule.forRoot({ postgres: true, redis: deps.redis, kafka: deps.inspector, backends })],
      controllers: [HealthController, MetricsController, QueueController, CrashesController, MissingModelsController],
      providers: [
        { provide: KafkaInspector, useValue: deps.inspector },
        { provide: TopicNamer, useValue: new TopicNamer(env.KAFKA_TOPIC_PREFIX) },
        { provide: WorkerRegistry, useValue: new WorkerRegistry(deps.redis) },
        { provide: QUEUE_LIMITS, useValue: parsePoolLimits(env.ADMISSION_MAX_BACKLOG) },
        KafkaLagWatch,
        QueueService,
        CrashLogService,
        MissingModelsService,
        { provide: APP_INTERCEPTOR, useClass: MissingModelInterceptor },
      ],
    };
  }
}
