/**
 * The rows of a `DataSource.query` answer. TypeORM answers UPDATE/DELETE … RETURNING with
 * `[rows, affected]`, INSERT and SELECT with the rows alone.
 */
export function returnedRows<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}
