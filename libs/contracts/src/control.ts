import 'reflect-metadata';
import { Equals, IsBoolean, IsIn, IsInt, IsISO8601, IsOptional, Max, Min } from 'class-validator';
import { OCR_RESOLUTIONS, type OcrResolution } from './ocr';
import { POOLS, type PoolName } from './topics';

/**
 * Desired state of one pool, on the compacted `gantry.control.v1` (key = pool name). Each record
 * is the whole state, so the latest record per key is all a reader needs, from any restart.
 * Fields a writer does not manage stay as they were: writers merge into the current state.
 */
export interface PoolControlState {
  schema: 1;
  pool: PoolName;
  /** Stop taking new jobs (in-flight ones finish). */
  paused?: boolean;
  /**
   * How the pool was stopped: `graceful` lets in-flight jobs finish; `forced` aborts them and puts
   * them back at the head of their queue (they run again after a start). Absent = graceful.
   */
  stop_mode?: PoolStopMode;
  /** When `paused` last changed (a start or a stop), for the pool's `started_at` / uptime. */
  changed_at?: string;
  /** Default OCR resolution for new jobs that do not choose one. */
  resolution?: OcrResolution;
  /**
   * Set by a non-graceful resolution switch (and kept by later graceful ones): queued jobs
   * created before `resolution_applies_from` that took the pool default run with
   * `forced_resolution` instead of the one they were submitted with.
   */
  forced_resolution?: OcrResolution;
  resolution_applies_from?: string;
  max_concurrent?: number;
  updated_at: string;
}

export const POOL_STOP_MODES = ['graceful', 'forced'] as const;
export type PoolStopMode = (typeof POOL_STOP_MODES)[number];

export class PoolControlStateDto implements PoolControlState {
  @Equals(1)
  schema: 1;

  @IsIn(POOLS)
  pool: PoolName;

  @IsOptional()
  @IsBoolean()
  paused?: boolean;

  @IsOptional()
  @IsIn(POOL_STOP_MODES)
  stop_mode?: PoolStopMode;

  @IsOptional()
  @IsISO8601({ strict: true })
  changed_at?: string;

  @IsOptional()
  @IsIn(OCR_RESOLUTIONS)
  resolution?: OcrResolution;

  @IsOptional()
  @IsIn(OCR_RESOLUTIONS)
  forced_resolution?: OcrResolution;

  @IsOptional()
  @IsISO8601({ strict: true })
  resolution_applies_from?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(4096)
  max_concurrent?: number;

  @IsISO8601({ strict: true })
  updated_at: string;
}
