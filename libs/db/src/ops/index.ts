export * from './dead-letter-row';
export * from './dead-letters.repository';
export * from './crash-log.repository';
export * from './missing-models.repository';
export * from './pool-stats.repository';
export * from './ops.module';
