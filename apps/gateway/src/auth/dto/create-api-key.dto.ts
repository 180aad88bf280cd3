import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

/** `POST /admin/api-keys`. Limits left out use the gateway's defaults. */
export class CreateApiKeyDto {
  @Matches(/^[A-Za-z0-9._:@-]{1,128}$/, { message: 'client_id must be 1-128 characters of letters, digits and . _ : @ -' })
  client_id: string;

  @IsString()
  @Matches(/^[A-Za-z0-9._:@ -]{1,128}$/, { message: 'service_name must be 1-128 characters of letters, digits, spaces and . _ : @ -' })
  service_name: string;

  @IsOptional() @IsInt() @Min(1) @Max(1_000_000)
  rate_limit_rpm?: number;

  @IsOptional() @IsInt() @Min(1) @Max(1_000_000)
  rate_limit_burst?: number;

  @IsOptional() @IsInt() @Min(1) @Max(1_000_000_000)
  rate_limit_tpm?: number;

  /** 0 means no limit. */
  @IsOptional() @IsInt() @Min(0) @Max(1_000_000)
  max_concurrent_jobs?: number;

  @IsOptional() @IsArray() @ArrayMinSize(1) @ArrayMaxSize(64) @IsString({ each: true }) @MaxLength(256, { each: true })
  allowed_models?: string[];
}
