export * from './redis';
export * from './job-hot-store';
export * from './job-updates';
export * from './rate-limiter';
export * from './worker-registry';
export * from './response-cache';
