import { IsIn, IsString, Matches, MaxLength, MinLength, ValidateIf } from 'class-validator';
import type { Role } from '@gantry/db';

/** `POST /admin/users`. A client user needs the client it acts for. */
export class CreateUserDto {
  @Matches(/^[A-Za-z0-9._@-]{1,128}$/, { message: 'username must be 1-128 characters of letters, digits and . _ @ -' })
  username: string;

  @IsString() @MinLength(12, { message: 'password must be at least 12 characters' }) @MaxLength(1024)
  password: string;

  @IsIn(['admin', 'client'])
  role: Role;

  @ValidateIf((o: CreateUserDto) => o.role === 'client' || o.client_id !== undefined)
  @Matches(/^[A-Za-z0-9._:@-]{1,128}$/, { message: 'client_id must be 1-128 characters of letters, digits and . _ : @ - (required for role client)' })
  client_id?: string;
}
