import { IsOptional, IsString, MaxLength } from 'class-validator';

export class CreateEndpointDto {
  @IsString()
  @MaxLength(2048)
  url: string;

  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;
}
