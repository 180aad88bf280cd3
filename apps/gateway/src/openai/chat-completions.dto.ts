import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, Max, Min, ValidateNested } from 'class-validator';
import { ChatSubmitDto } from '../jobs/chat-submit.dto';

export class StreamOptionsDto {
  @IsOptional()
  @IsBoolean()
  include_usage?: boolean;
}

/**
 * `POST /v1/chat/completions` body: OpenAI's chat request (the fields Gantry runs; others are
 * ignored, as by most OpenAI-compatible servers) plus the options of `POST /api/chat`.
 */
export class ChatCompletionsDto extends ChatSubmitDto {
  @IsOptional()
  @IsBoolean()
  stream?: boolean;

  @IsOptional()
  @ValidateNested()
  @Type(() => StreamOptionsDto)
  stream_options?: StreamOptionsDto;

  /** OpenAI's newer name for `max_tokens`; `max_tokens` wins when both are sent. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(32768)
  max_completion_tokens?: number;

  @IsOptional()
  @IsIn([1], { message: 'n must be 1: Gantry returns one choice' })
  n?: number;
}
