import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { DatabaseEnv } from '@gantry/config';
import { dataSourceOptions } from './data-source';
import { JobsRepository } from './jobs/jobs.repository';
import { WebhooksRepository } from './webhooks/webhooks.repository';

@Module({})
export class DbModule {
  static forRoot(env: DatabaseEnv): DynamicModule {
    return {
      module: DbModule,
      imports: [TypeOrmModule.forRoot({ ...dataSourceOptions(env), retryAttempts: 3, retryDelay: 1000 })],
      providers: [JobsRepository, WebhooksRepository],
      exports: [JobsRepository, WebhooksRepository],
    };
  }
}
