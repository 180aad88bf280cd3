import { Equals, IsInt, IsISO8601, IsOptional, IsString, Matches, Min, MinLength } from 'class-validator';
import type { DeadLetter } from './jobs';

/** Shape of a `gantry.dlq.v1` record, validated by its consumer (the recorder stores it). */
export class DeadLetterDto implements DeadLetter {
  @Equals(1)
  schema: 1;

  @IsString()
  @MinLength(1)
  topic: string;

  @IsInt()
  @Min(0)
  partition: number;

  @IsString()
  @Matches(/^\d{1,19}$/)
  offset: string;

  // null when the original record had no key
  @IsOptional()
  @IsString()
  key: string | null;

  @IsString()
  value: string;

  @IsString()
  error: string;

  @IsOptional()
  @IsString()
  stack?: string;

  @IsISO8601({ strict: true })
  at: string;

  @IsString()
  @MinLength(1)
  consumer_group: string;
}
