import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { JobError, JobKind, JobStatus, PoolName, Priority, Usage } from '@gantry/contracts';

/** One row per request (DESIGN.md §4). Written only by the recorder's batched upserts. */
@Entity({ name: 'jobs' })
@Index('jobs_client_created_idx', ['clientId', 'createdAt'])
export class JobEntity {
  @PrimaryColumn('uuid', { name: 'request_id' })
  requestId: string;

  @Column('text', { name: 'client_id' })
  clientId: string;

  @Column('text')
  kind: JobKind;

  @Column('text')
  pool: PoolName;

  @Column('text')
  model: string;

  @Column('text')
  priority: Priority;

  @Column('text')
  status: JobStatus;

  /** Precedence of `status` (queued 0, running 1, terminal 2); an upsert never lowers it. */
  @Column('smallint', { name: 'status_rank' })
  statusRank: number;

  @Column('int', { default: 0 })
  attempts: number;

  @Column('jsonb', { nullable: true })
  request: unknown;

  @Column('jsonb', { nullable: true })
  result: unknown;

  @Column('jsonb', { nullable: true })
  error: JobError | null;

  /** Stack of a failure inside the worker, for the crash log; never part of a job view. */
  @Column('text', { name: 'error_stack', nullable: true })
  errorStack: string | null;

  @Column('jsonb', { nullable: true })
  usage: Usage | null;

  @Column('timestamptz', { name: 'created_at' })
  createdAt: Date;

  @Column('timestamptz', { name: 'started_at', nullable: true })
  startedAt: Date | null;

  @Column('timestamptz', { name: 'finished_at', nullable: true })
  finishedAt: Date | null;

  /** The bulk batch this job is a line of (DESIGN.md §4). */
  @Column('text', { name: 'batch_id', nullable: true })
  batchId: string | null;

  /** Answered from the response cache: nothing ran. */
  @Column('boolean', { name: 'from_cache', default: false })
  fromCache: boolean;

  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' })
  updatedAt: Date;
}
