import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { returnedRows } from '../query-result';

export interface NewRefreshToken {
  id: string;
  userId: string;
  familyId: string;
  tokenHash: string;
  expiresAt: Date;
}

/** What presenting a refresh token amounts to. */
export type RefreshUse =
  | { outcome: 'rotated'; userId: string; familyId: string }
  /** Already used or revoked: the family is revoked now (a stolen token was replayed). */
  | { outcome: 'reused'; familyId: string }
  | { outcome: 'expired' }
  | { outcome: 'unknown' };

@Injectable()
export class RefreshTokensRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async insert(t: NewRefreshToken): Promise<void> {
    await this.ds.query('INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at) VALUES ($1, $2, $3, $4, $5)', [
      t.id,
      t.userId,
      t.familyId,
      t.tokenHash,
      t.expiresAt,
    ]);
  }

  /**
   * Marks the token used, once: of two concurrent uses exactly one rotates, the other counts as
   * reuse. A used or revoked token revokes its whole family.
   */
  async use(tokenHash: string): Promise<RefreshUse> {
    const used = returnedRows<{ user_id: string; family_id: string }>(
      await this.ds.query(
        `UPDATE refresh_tokens SET used_at = now()
         WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()
         RETURNING user_id, family_id`,
        [tokenHash],
      ),
    );
    if (used.length) return { outcome: 'rotated', userId: used[0].user_id, familyId: used[0].family_id };
    const rows: Array<{ family_id: string; used_at: Date | null; revoked_at: Date | null }> = await this.ds.query(
      'SELECT family_id, used_at, revoked_at FROM refresh_tokens WHERE token_hash = $1',
      [tokenHash],
    );
    if (!rows.length) return { outcome: 'unknown' };
    if (rows[0].used_at || rows[0].revoked_at) {
      await this.revokeFamily(rows[0].family_id);
      return { outcome: 'reused', familyId: rows[0].family_id };
    }
    return { outcome: 'expired' };
  }

  /** The family of a token, whatever its state (logout of a used token still ends the session). */
  async familyOf(tokenHash: string): Promise<string | null> {
    const rows: Array<{ family_id: string }> = await this.ds.query('SELECT family_id FROM refresh_tokens WHERE token_hash = $1', [tokenHash]);
    return rows[0]?.family_id ?? null;
  }

  async revokeFamily(familyId: string): Promise<void> {
    await this.ds.query('UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL', [familyId]);
  }

  /** Revokes every live session of the user; returns their family ids. */
  async revokeAllOfUser(userId: string): Promise<string[]> {
    const rows = returnedRows<{ family_id: string }>(
      await this.ds.query('UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL RETURNING family_id', [userId]),
    );
    return [...new Set(rows.map((r) => r.family_id))];
  }
}
