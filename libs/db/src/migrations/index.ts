import { CreateJobs1732400000000 } from './1732400000000-CreateJobs';
import { CreateIdentity1732460600000 } from './1732460600000-CreateIdentity';
import { CreateBlobs1732480000000 } from './1732480000000-CreateBlobs';
import { CreateOperations1732500000000 } from './1732500000000-CreateOperations';
import { CreateWebhooks1732520000000 } from './1732520000000-CreateWebhooks';
import { CreateBatches1732540000000 } from './1732540000000-CreateBatches';
import { BatchLinks1732560000000 } from './1732560000000-BatchLinks';
import { JobsFromCache1732580000000 } from './1732580000000-JobsFromCache';
import { CrashStacks1732583000000 } from './1732583000000-CrashStacks';

/** Every migration, in order. New ones are appended here. */
export const MIGRATIONS = [CreateJobs1732400000000, CreateIdentity1732460600000, CreateBlobs1732480000000, CreateOperations1732500000000, CreateWebhooks1732520000000, CreateBatches1732540000000, BatchLinks1732560000000, JobsFromCache1732580000000, CrashStacks1732583000000];
