export * from './indicators';
export * from './readiness.service';
export * from './health.module';
export * from './health-server';
export * from './consumer-observability';
