import type { Provider } from '@nestjs/common';
import type { GatewayEnv } from '@gantry/config';
import { BatchOptimizeController } from './batch-optimize.controller';
import { BatchesController } from './batches.controller';
import { BatchesService } from './batches.service';
import { BulkBatchesController } from './bulk-batches.controller';
import { BulkBatchesService } from './bulk-batches.service';
import { OcrLineService } from './ocr-line.service';
import { FilesController } from './files.controller';
import { BATCH_LIMITS, FilesService } from './files.service';
import type { JsonlLimits } from './jsonl-lines';

export const BATCH_CONTROLLERS = [FilesController, BatchesController, BatchOptimizeController, BulkBatchesController];

export function batchProviders(env: GatewayEnv): Provider[] {
  const limits: JsonlLimits = { maxBytes: env.BATCH_MAX_FILE_BYTES, maxLines: env.BATCH_MAX_REQUESTS, maxLineBytes: env.BATCH_MAX_LINE_BYTES };
  return [{ provide: BATCH_LIMITS, useValue: limits }, FilesService, BatchesService, BulkBatchesService, OcrLineService];
}
