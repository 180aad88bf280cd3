import { DynamicModule, Module } from '@nestjs/common';
import type { RecorderEnv } from '@gantry/config';
import { BatchesDbModule, BlobsDbModule, DbModule, OpsDbModule } from '@gantry/db';
import { JobChannels, JobHotStore } from '@gantry/redis';
import type { Redis } from 'ioredis';
import { batchProviders } from './batches/batches.providers';
import { DeadLettersController } from './dead-letters/dead-letters.controller';
import { DeadLettersService } from './dead-letters/dead-letters.service';
import { RecorderController } from './jobs/recorder.controller';
import { RECORDER_REDIS, RecorderService } from './jobs/recorder.service';
import { WebhookRequestsService } from './webhooks/webhook-requests.service';
import { BLOB_SWEEP_SETTINGS, BlobSweepService } from './ocr/blob-sweep.service';
import { DocumentProgressService } from './ocr/document-progress.service';
import { GantryProducer } from '@gantry/kafka';

@Module({})
export class RecorderModule {
  static forRoot(env: RecorderEnv, redis: Redis, producer: GantryProducer): DynamicModule {
    return {
      module: RecorderModule,
      imports: [DbModule.forRoot(env), OpsDbModule, BlobsDbModule, BatchesDbModule],
      controllers: [RecorderController, DeadLettersController],
      providers: [
        { provide: JobHotStore, useValue: new JobHotStore(redis, env.JOB_HOT_TTL_SECONDS) },
        { provide: RECORDER_REDIS, useValue: redis },
        { provide: JobChannels, useValue: new JobChannels(env.REDIS_PREFIX) },
        { provide: GantryProducer, useValue: producer },
        RecorderService,
        WebhookRequestsService,
        DeadLettersService,
        DocumentProgressService,
        { provide: BLOB_SWEEP_SETTINGS, useValue: { retentionSeconds: env.BLOB_RETENTION_SECONDS, intervalMs: env.BLOB_SWEEP_INTERVAL_MS } },
        BlobSweepService,
        ...batchProviders(env),
      ],
    };
  }
}
