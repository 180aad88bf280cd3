import { DynamicModule, Module } from '@nestjs/common';
import { ocrBackendOf, type WorkerEnv } from '@gantry/config';
import { BACKEND_MODEL } from '@gantry/contracts';
import { BlobsDbModule, DbModule } from '@gantry/db';
import { PoolControlReader } from '@gantry/kafka';
import { PdfEngine } from '@gantry/media';
import { VllmClient } from '../backend/vllm.client';
import { OcrBackend } from './ocr-backend';
import { OCR_SETTINGS, OcrExecutor } from './ocr-executor';
import { TesseractOcrBackend } from './tesseract.backend';
import { VllmOcrBackend } from './vllm-ocr.backend';

/** What an OCR worker holds besides the Nest module: engines to stop at shutdown. */
export interface OcrRuntime {
  backend: OcrBackend;
  pdf: PdfEngine;
  control: PoolControlReader;
  close(): Promise<void>;
}

/** Starts the pool's OCR engine (tesseract workers load their data here, before any job). */
export async function startOcrRuntime(env: WorkerEnv, control: PoolControlReader): Promise<OcrRuntime> {
  const engine = ocrBackendOf(env);
  let backend: OcrBackend;
  if (engine === 'vllm') {
    if (!env.OCR_BACKEND_URL) throw new Error('OCR_BACKEND=vllm needs OCR_BACKEND_URL');
    backend = new VllmOcrBackend(new VllmClient(env.OCR_BACKEND_URL), BACKEND_MODEL['deepseek-ocr']);
  } else {
    backend = await TesseractOcrBackend.create(env.OCR_TESSERACT_WORKERS);
  }
  const pdf = new PdfEngine();
  return {
    backend,
    pdf,
    control,
    async close() {
      await backend.close();
      await pdf.close();
    },
  };
}

/** OCR jobs for the `deepseek-ocr` pool: blob store access, PDF pages, the engine. */
@Module({})
export class OcrModule {
  static forRoot(env: WorkerEnv, runtime: OcrRuntime): DynamicModule {
    return {
      module: OcrModule,
      imports: [DbModule.forRoot(env), BlobsDbModule],
      providers: [
        { provide: OcrBackend, useValue: runtime.backend },
        { provide: PdfEngine, useValue: runtime.pdf },
        { provide: PoolControlReader, useValue: runtime.control },
        { provide: OCR_SETTINGS, useValue: { pdfDpi: env.OCR_PDF_DPI } },
        OcrExecutor,
      ],
      exports: [OcrExecutor],
    };
  }
}
