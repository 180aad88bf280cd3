export * from './topics';
export * from './jobs';
export * from './models';
export * from './validation';
export * from './payloads';
