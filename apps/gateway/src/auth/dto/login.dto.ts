import { IsString, MaxLength, MinLength } from 'class-validator';

/** `POST /auth/token` (form) and `POST /api/auth/login` (JSON). */
export class LoginDto {
  @IsString() @MinLength(1) @MaxLength(128)
  username: string;

  @IsString() @MinLength(1) @MaxLength(1024)
  password: string;
}

/** `POST /auth/refresh` and `POST /auth/logout` (form or JSON). */
export class RefreshDto {
  @IsString() @MinLength(1) @MaxLength(512)
  refresh_token: string;
}
