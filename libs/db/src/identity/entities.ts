import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The two roles (DESIGN.md §5): admins operate Gantry, clients submit and read their own jobs. */
export type Role = 'admin' | 'client';

/** A tenant. Every job, key and client user belongs to one; created on first use. */
@Entity({ name: 'clients' })
export class ClientEntity {
  @PrimaryColumn('text')
  id: string;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt: Date;
}

@Entity({ name: 'users' })
export class UserEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column('text')
  username: string;

  /** argon2id PHC string; the password itself is never stored. */
  @Column('text', { name: 'password_hash' })
  passwordHash: string;

  @Column('text')
  role: Role;

  /** The tenant a client user acts for; admins have none. */
  @Column('text', { name: 'client_id', nullable: true })
  clientId: string | null;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt: Date;

  @Column('timestamptz', { name: 'disabled_at', nullable: true })
  disabledAt: Date | null;
}

/** A service credential bound to one client. Only the SHA-256 of the secret is stored. */
@Entity({ name: 'api_keys' })
export class ApiKeyEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column('text', { name: 'client_id' })
  clientId: string;

  @Column('text', { name: 'service_name' })
  serviceName: string;

  /** The first characters of the secret, to recognise a key in lists and logs. */
  @Column('text')
  prefix: string;

  @Column('text', { name: 'key_hash' })
  keyHash: string;

  @Column('int', { name: 'rate_limit_rpm', nullable: true })
  rateLimitRpm: number | null;

  @Column('int', { name: 'rate_limit_burst', nullable: true })
  rateLimitBurst: number | null;

  @Column('int', { name: 'rate_limit_tpm', nullable: true })
  rateLimitTpm: number | null;

  @Column('int', { name: 'max_concurrent_jobs', nullable: true })
  maxConcurrentJobs: number | null;

  /** Backend model names this key may use; null = every model. */
  @Column('text', { name: 'allowed_models', array: true, nullable: true })
  allowedModels: string[] | null;

  @Column('uuid', { name: 'created_by', nullable: true })
  createdBy: string | null;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt: Date;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt: Date | null;

  @Column('timestamptz', { name: 'last_used_at', nullable: true })
  lastUsedAt: Date | null;
}

/**
 * One opaque refresh token (hashed). Tokens of one login form a family: each use rotates to a new
 * token, and presenting a used one again revokes the whole family (it was stolen or replayed).
 */
@Entity({ name: 'refresh_tokens' })
export class RefreshTokenEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column('uuid', { name: 'user_id' })
  userId: string;

  @Column('uuid', { name: 'family_id' })
  familyId: string;

  @Column('text', { name: 'token_hash' })
  tokenHash: string;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt: Date;

  @Column('timestamptz', { name: 'expires_at' })
  expiresAt: Date;

  @Column('timestamptz', { name: 'used_at', nullable: true })
  usedAt: Date | null;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt: Date | null;
}

export const IDENTITY_ENTITIES = [ClientEntity, UserEntity, ApiKeyEntity, RefreshTokenEntity];
