export * from './env';
export * from './file-config';
