import { Injectable } from '@nestjs/common';
import { UsersRepository } from '@gantry/db';
import { ApiError, ApiErrorCode } from '../errors/api-error';
import { PasswordHasher } from './password-hasher.service';
import { SessionsService, type TokenPair } from './sessions.service';

/**
 * Username + password → tokens. An unknown user, a disabled one and a wrong password get the
 * same answer after the same work (one argon2 verification), so neither the message nor the
 * timing tells which usernames exist.
 */
@Injectable()
export class LoginService {
  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionsService,
  ) {}

  async login(username: string, password: string): Promise<TokenPair> {
    const user = await this.users.findActiveByUsername(username);
    const ok = user ? await this.hasher.verify(user.password_hash, password) : await this.hasher.verifyDummy(password);
    if (!user || !ok) throw new ApiError(ApiErrorCode.InvalidCredentials, 'Incorrect username or password', undefined, { 'www-authenticate': 'Bearer' });
    return this.sessions.start(user);
  }
}
