export * from './signing';
export * from './ssrf';
