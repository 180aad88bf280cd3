import { Injectable, type OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

/**
 * argon2id (OWASP's first choice) through @node-rs/argon2: prebuilt, no install script. Default
 * cost (19 MiB, 2 passes) takes tens of milliseconds here, on a libuv thread, not the event loop.
 */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  /** Hash of a random password, checked when the username is unknown so timing says nothing. */
  private dummy?: Promise<string>;

  /** Made at boot, so the first unknown-user login does not pay for it (a timing tell). */
  async onModuleInit(): Promise<void> {
    await this.dummyHash();
  }

  hash(password: string): Promise<string> {
    return hash(password);
  }

  async verify(passwordHash: string, password: string): Promise<boolean> {
    try {
      return await verify(passwordHash, password);
    } catch {
      // A corrupt stored hash is a failed login, not a 500.
      return false;
    }
  }

  /** Does the same work as a real verification and always fails. */
  async verifyDummy(password: string): Promise<false> {
    await this.verify(await this.dummyHash(), password);
    return false;
  }

  private dummyHash(): Promise<string> {
    this.dummy ??= this.hash(randomBytes(24).toString('base64'));
    return this.dummy;
  }
}
