import { Module } from '@nestjs/common';
import { ApiKeysRepository } from './api-keys.repository';
import { RefreshTokensRepository } from './refresh-tokens.repository';
import { UsersRepository } from './users.repository';

/** Repositories of users, API keys and refresh tokens; needs `DbModule.forRoot` imported alongside. */
@Module({
  providers: [UsersRepository, ApiKeysRepository, RefreshTokensRepository],
  exports: [UsersRepository, ApiKeysRepository, RefreshTokensRepository],
})
export class IdentityDbModule {}
