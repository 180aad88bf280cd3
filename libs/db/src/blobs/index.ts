export * from './blob-store';
export * from './pg-blob-store';
export * from './ocr-documents.repository';
export * from './blobs.module';
