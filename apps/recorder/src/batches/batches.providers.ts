import type { Provider } from '@nestjs/common';
import type { RecorderEnv } from '@gantry/config';
import { createKafka, TopicNamer } from '@gantry/kafka';
import { BatchCompletionService, BATCH_SWEEP_INTERVAL } from './batch-completion.service';
import { BatchChildrenService } from './batch-children.service';
import { BatchEventsService } from './batch-events.service';
import { BATCH_EXPANDER_SETTINGS, BatchExpanderService, type BatchExpanderSettings } from './batch-expander.service';

/** The batch expander (its own consumer group on `gantry.batches.v1`) and the completion sweep. */
export function batchProviders(env: RecorderEnv): Provider[] {
  const settings: BatchExpanderSettings = {
    kafka: createKafka(env, 'gantry-batcher'),
    namer: new TopicNamer(env.KAFKA_TOPIC_PREFIX),
    sessionTimeoutMs: env.KAFKA_SESSION_TIMEOUT_MS,
    chunk: env.BATCH_EXPAND_CHUNK,
    rate: env.BATCH_EXPAND_RATE,
  };
  return [
    { provide: BATCH_EXPANDER_SETTINGS, useValue: settings },
    BatchExpanderService,
    BatchChildrenService,
    BatchEventsService,
    { provide: BATCH_SWEEP_INTERVAL, useValue: env.BATCH_SWEEP_INTERVAL_MS },
    BatchCompletionService,
  ];
}
