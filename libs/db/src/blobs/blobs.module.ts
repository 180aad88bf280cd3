import { Module } from '@nestjs/common';
import { BlobStore } from './blob-store';
import { OcrDocumentsRepository } from './ocr-documents.repository';
import { PgBlobStore } from './pg-blob-store';

/** The claim-check store (Postgres by default) and PDF documents; needs `DbModule.forRoot` imported alongside. */
@Module({
  providers: [{ provide: BlobStore, useClass: PgBlobStore }, OcrDocumentsRepository],
  exports: [BlobStore, OcrDocumentsRepository],
})
export class BlobsDbModule {}
