import type { Provider } from '@nestjs/common';
import { GatewayEnv } from '@gantry/config';
import { PoolControlReader, PoolControlWriter } from '@gantry/kafka';
import { PdfEngine } from '@gantry/media';
import { DocumentViewService } from './document-view.service';
import { ImageSafetyService } from './image-safety.service';
import { OcrAdminController } from './ocr-admin.controller';
import { OcrResolutionService } from './ocr-resolution.service';
import { OcrSubmitService } from './ocr-submit.service';
import { OcrController } from './ocr.controller';

/** Started by the bootstrap (they need Kafka or a thread) and stopped by it. */
export interface OcrGatewayDeps {
  control: PoolControlReader;
  controlWriter: PoolControlWriter;
  pdf: PdfEngine;
}

export const OCR_CONTROLLERS = [OcrController, OcrAdminController];

/** OCR submit, image safety, resolution control and document progress; needs BlobsDbModule imported. */
export function ocrProviders(env: GatewayEnv, deps: OcrGatewayDeps): Provider[] {
  return [
    { provide: GatewayEnv, useValue: env },
    { provide: PoolControlReader, useValue: deps.control },
    { provide: PoolControlWriter, useValue: deps.controlWriter },
    { provide: PdfEngine, useValue: deps.pdf },
    ImageSafetyService,
    OcrResolutionService,
    OcrSubmitService,
    DocumentViewService,
  ];
}
