/** Longest stack carried in a message: the crash log wants the top frames, not a megabyte of them. */
export const MAX_STACK_CHARS = 8_000;

/**
 * The stack of an unexpected error for the crash log (`/admin/crashes`), with its `cause`'s
 * stack appended (a wrapped error's own frames say little), cut to MAX_STACK_CHARS. Undefined
 * when `err` is not an Error or has no stack.
 */
export function errorStack(err: unknown): string | undefined {
  if (!(err instanceof Error) || !err.stack) return undefined;
  let stack = err.stack;
  const cause = err.cause;
  if (cause instanceof Error && cause.stack) stack += `\nCaused by: ${cause.stack}`;
  return stack.length > MAX_STACK_CHARS ? `${stack.slice(0, MAX_STACK_CHARS)}\n…` : stack;
}
