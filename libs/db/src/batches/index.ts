export * from './batches.repository';
export * from './batches.module';
