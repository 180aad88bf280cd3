import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { Role } from './entities';
import { returnedRows } from '../query-result';

export interface UserRecord {
  id: string;
  username: string;
  password_hash: string;
  role: Role;
  client_id: string | null;
  created_at: Date;
  disabled_at: Date | null;
}

export interface NewUser {
  id: string;
  username: string;
  passwordHash: string;
  role: Role;
  clientId: string | null;
}

const COLUMNS = 'id, username, password_hash, role, client_id, created_at, disabled_at';
/** Any advisory lock number works as long as only the first-admin bootstrap uses it. */
const FIRST_ADMIN_LOCK = 6_600_601;

/** Inserts the client (tenant) row if it does not exist yet. */
export async function ensureClient(m: EntityManager, clientId: string | null): Promise<void> {
  if (clientId !== null) await m.query('INSERT INTO clients (id) VALUES ($1) ON CONFLICT (id) DO NOTHING', [clientId]);
}

@Injectable()
export class UsersRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /**
   * Creates `user` only while the table is empty; false when some user already exists. Replicas
   * booting together serialise on an advisory lock, so exactly one first admin is created.
   */
  createFirstAdmin(user: NewUser): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock($1)', [FIRST_ADMIN_LOCK]);
      const [{ n }]: Array<{ n: string }> = await m.query('SELECT count(*) AS n FROM users');
      if (Number(n) > 0) return false;
      await m.query('INSERT INTO users (id, username, password_hash, role, client_id) VALUES ($1, $2, $3, $4, $5)', [
        user.id,
        user.username,
        user.passwordHash,
        user.role,
        user.clientId,
      ]);
      return true;
    });
  }

  async anyExists(): Promise<boolean> {
    const [{ any }]: Array<{ any: boolean }> = await this.ds.query('SELECT EXISTS (SELECT 1 FROM users) AS any');
    return any;
  }

  /** Creates a user (and its client); null when the username is taken, whatever its case. */
  async create(user: NewUser): Promise<UserRecord | null> {
    // ON CONFLICT rather than catching the violation: a failed statement would be logged with its
    // parameters, the password hash among them.
    return this.ds.transaction(async (m) => {
      await ensureClient(m, user.clientId);
      const rows: UserRecord[] = await m.query(
        `INSERT INTO users (id, username, password_hash, role, client_id) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT ((lower(username))) DO NOTHING RETURNING ${COLUMNS}`,
        [user.id, user.username, user.passwordHash, user.role, user.clientId],
      );
      return rows[0] ?? null;
    });
  }

  async findActiveByUsername(username: string): Promise<UserRecord | null> {
    const rows: UserRecord[] = await this.ds.query(`SELECT ${COLUMNS} FROM users WHERE lower(username) = lower($1) AND disabled_at IS NULL`, [username]);
    return rows[0] ?? null;
  }

  async findActiveById(id: string): Promise<UserRecord | null> {
    const rows: UserRecord[] = await this.ds.query(`SELECT ${COLUMNS} FROM users WHERE id = $1 AND disabled_at IS NULL`, [id]);
    return rows[0] ?? null;
  }

  list(): Promise<UserRecord[]> {
    return this.ds.query(`SELECT ${COLUMNS} FROM users ORDER BY created_at, username`);
  }

  /** Marks the user disabled (idempotent); null when there is no such user. */
  async disable(id: string): Promise<UserRecord | null> {
    const rows = returnedRows<UserRecord>(
      await this.ds.query(`UPDATE users SET disabled_at = COALESCE(disabled_at, now()) WHERE id = $1 RETURNING ${COLUMNS}`, [id]),
    );
    return rows[0] ?? null;
  }
}
