import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsNumber, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { estimate, optimize, similarPairs } from './prompt-similarity';

/** Pairwise similarity is quadratic: the list is capped. */
const MAX_PROMPTS = 1000;

class PromptsDto {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_PROMPTS)
  @IsString({ each: true })
  @MaxLength(100_000, { each: true })
  prompts: string[];
}

class OptimizeDto extends PromptsDto {
  @IsOptional()
  @IsString()
  @MaxLength(100_000)
  system_message?: string;

  @IsOptional()
  @IsBoolean()
  detect_similar?: boolean;
}

class SimilarityDto extends PromptsDto {
  @IsOptional()
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  similarity_threshold?: number;
}

/** Reference 000 (`/api/ai/batch/*`): what deduplication would save, before submitting a batch. */
@Controller('api/ai/batch')
export class BatchOptimizeController {
  @Post('optimize')
  @HttpCode(200)
  optimize(@Body() body: OptimizeDto) {
    return optimize(body.prompts, body.system_message, body.detect_similar ?? false);
  }

  @Post('estimate')
  @HttpCode(200)
  estimate(@Body() body: PromptsDto) {
    return estimate(body.prompts);
  }

  @Post('similarity')
  @HttpCode(200)
  similarity(@Body() body: SimilarityDto) {
    return similarPairs(body.prompts, body.similarity_threshold ?? 0.8);
  }
}
