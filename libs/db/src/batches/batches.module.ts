import { Module } from '@nestjs/common';
import { BatchesRepository } from './batches.repository';

/** Files and batches; needs `DbModule.forRoot` imported alongside. */
@Module({ providers: [BatchesRepository], exports: [BatchesRepository] })
export class BatchesDbModule {}
