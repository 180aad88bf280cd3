import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { OCR_PROMPTS, OCR_RESOLUTIONS, OCR_TARGET_MAX, type BlobRef, type OcrPageOf, type OcrPrompt, type OcrRequest, type OcrResolution } from './ocr';

/** Most pages one PDF may have (also the limit the gateway enforces, see OCR_MAX_PDF_PAGES). */
export const OCR_PAGES_MAX = 2000;
export const OCR_MAX_TOKENS_MAX = 8192;

export class BlobRefDto implements BlobRef {
  @IsUUID()
  id: string;

  @Matches(/^[0-9a-f]{64}$/, { message: 'sha256 must be 64 lower-case hex digits' })
  sha256: string;

  @IsString()
  @MaxLength(100)
  content_type: string;

  @IsInt()
  @Min(1)
  size: number;
}

export class OcrPageOfDto implements OcrPageOf {
  @IsUUID()
  parent_id: string;

  @IsInt()
  @Min(1)
  @Max(OCR_PAGES_MAX)
  page: number;

  @IsInt()
  @Min(1)
  @Max(OCR_PAGES_MAX)
  pages: number;
}

/** `request` of an OCR job message, validated on consume like every message. */
export class OcrRequestDto implements OcrRequest {
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  model: string;

  @IsObject()
  @ValidateNested()
  @Type(() => BlobRefDto)
  blob: BlobRefDto;

  @IsIn(OCR_RESOLUTIONS)
  resolution: OcrResolution;

  @IsIn(['header', 'pool_default'])
  resolution_source: 'header' | 'pool_default';

  @IsIn(OCR_PROMPTS)
  prompt: OcrPrompt;

  @ValidateIf((o: OcrRequestDto) => o.prompt === 'locate' || o.target !== undefined)
  @IsString()
  @MinLength(1)
  @MaxLength(OCR_TARGET_MAX)
  target?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(OCR_MAX_TOKENS_MAX)
  max_tokens?: number;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => OcrPageOfDto)
  document?: OcrPageOfDto;
}

// ------------------------------------------------------------------ HTTP body of POST /api/ocr

export class OcrImageUrlDto {
  /** A `data:` URL (image or PDF, base64). Remote URLs are not fetched. */
  @IsString()
  url: string;
}

export class OcrContentPartDto {
  @IsIn(['image_url', 'text'])
  type: 'image_url' | 'text';

  @ValidateIf((o: OcrContentPartDto) => o.type === 'text')
  @IsString()
  @MaxLength(1000)
  text?: string;

  @ValidateIf((o: OcrContentPartDto) => o.type === 'image_url')
  @IsObject()
  @ValidateNested()
  @Type(() => OcrImageUrlDto)
  image_url?: OcrImageUrlDto;
}

export class OcrChatMessageDto {
  @IsIn(['system', 'user'])
  role: 'system' | 'user';

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(16)
  @ValidateNested({ each: true })
  @Type(() => OcrContentPartDto)
  content: OcrContentPartDto[];
}

/** JSON body of `POST /api/ocr` (reference/002): OpenAI-style messages with one image and a prompt. */
export class OcrSubmitDto {
  @IsOptional()
  @IsString()
  @MaxLength(200)
  model?: string;

  @IsArray()
  @ArrayMinSize(1, { message: 'messages must contain at least one message' })
  @ArrayMaxSize(16)
  @ValidateNested({ each: true })
  @Type(() => OcrChatMessageDto)
  messages: OcrChatMessageDto[];

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(OCR_MAX_TOKENS_MAX)
  max_tokens?: number;
}
