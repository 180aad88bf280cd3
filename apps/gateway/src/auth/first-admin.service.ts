import { Injectable, Logger } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { GatewayEnv } from '@gantry/config';
import { UsersRepository } from '@gantry/db';
import { PasswordHasher } from './password-hasher.service';

export interface GeneratedAdmin {
  username: string;
  password: string;
}

/**
 * The first admin, made when no user exists: from GANTRY_ADMIN_USER / GANTRY_ADMIN_PASSWORD, or
 * in development with a generated password that the caller prints once. There is no built-in
 * account: production without these variables starts with no user and says how to add one.
 */
@Injectable()
export class FirstAdminService {
  private readonly log = new Logger(FirstAdminService.name);

  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly env: GatewayEnv,
  ) {}

  /** Returns the generated credentials when it made a password up (to show once), else null. */
  async ensure(): Promise<GeneratedAdmin | null> {
    const username = this.env.GANTRY_ADMIN_USER ?? 'admin';
    let password = this.env.GANTRY_ADMIN_PASSWORD;
    const generate = !password && this.env.NODE_ENV === 'development';
    if (!password && !generate) {
      if (!(await this.users.anyExists())) {
        this.log.warn({ msg: 'no user exists and GANTRY_ADMIN_USER / GANTRY_ADMIN_PASSWORD are not set: nobody can log in or create API keys until they are' });
      }
      return null;
    }
    password ??= randomBytes(18).toString('base64url');
    const created = await this.users.createFirstAdmin({ id: randomUUID(), username, passwordHash: await this.hasher.hash(password), role: 'admin', clientId: null });
    if (!created) return null;
    this.log.log({ msg: 'first admin created', username, password_source: generate ? 'generated' : 'GANTRY_ADMIN_PASSWORD' });
    return generate ? { username, password } : null;
  }
}
