import { Module } from '@nestjs/common';
import { CrashLogRepository } from './crash-log.repository';
import { DeadLettersRepository } from './dead-letters.repository';
import { MissingModelsRepository } from './missing-models.repository';
import { PoolStatsRepository } from './pool-stats.repository';

const REPOSITORIES = [DeadLettersRepository, CrashLogRepository, MissingModelsRepository, PoolStatsRepository];

/** Repositories behind the operator views; needs `DbModule.forRoot` imported alongside. */
@Module({ providers: REPOSITORIES, exports: REPOSITORIES })
export class OpsDbModule {}
