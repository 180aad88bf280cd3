export * from './json-logger';
export * from './trace-context';
export * from './timeout';
export * from './run-process';
export * from './periodic-task';
export * from './error-stack';
export * from './rate-gate';
