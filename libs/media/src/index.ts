export * from './formats';
export * from './pdf';
