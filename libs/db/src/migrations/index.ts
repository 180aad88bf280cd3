import { CreateJobs1732400000000 } from './1732400000000-CreateJobs';

/** Every migration, in order. New ones are appended here. */
export const MIGRATIONS = [CreateJobs1732400000000];
