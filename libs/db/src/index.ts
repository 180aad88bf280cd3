export * from './data-source';
export * from './db.module';
export * from './jobs/job-change';
export * from './jobs/jobs.repository';
export { JobEntity } from './jobs/job.entity';
