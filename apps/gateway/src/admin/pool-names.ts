import { poolOfModel, POOLS, type PoolName } from '@gantry/contracts';

/**
 * The names the admin API uses for the pools: the reference's (reference/002 calls the OCR pool
 * `deepseek`). `GET /admin/models` is keyed by them and every admin route answers with them.
 */
export const ADMIN_POOL_NAMES: Readonly<Record<PoolName, string>> = { gemma: 'gemma', 'deepseek-ocr': 'deepseek' };

export type AdminPoolName = (typeof ADMIN_POOL_NAMES)[PoolName];

export function adminNameOf(pool: PoolName): AdminPoolName {
  return ADMIN_POOL_NAMES[pool];
}

/**
 * The pool an admin route's `{name}` means: its reference name (`gemma`, `deepseek`), its pool
 * name (`deepseek-ocr`, kept for existing callers) or any model alias (`gemma-3-4b-it`).
 */
export function poolOfAdminName(name: string): PoolName | undefined {
  const byAdminName = POOLS.find((p) => ADMIN_POOL_NAMES[p] === name);
  if (byAdminName) return byAdminName;
  return (POOLS as readonly string[]).includes(name) ? (name as PoolName) : poolOfModel(name);
}
