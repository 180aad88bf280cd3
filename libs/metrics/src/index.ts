export * from './registry';
export * from './sources';
export * from './metrics';
