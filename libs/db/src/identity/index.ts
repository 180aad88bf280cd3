export * from './entities';
export * from './users.repository';
export * from './api-keys.repository';
export * from './refresh-tokens.repository';
export * from './identity.module';
