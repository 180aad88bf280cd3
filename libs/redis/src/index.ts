export * from './redis';
export * from './job-hot-store';
