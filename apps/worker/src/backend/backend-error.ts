/**
 * Why a backend call failed, and whether trying again can help (DESIGN.md §2, step 7).
 * `invalid_input`: the job itself cannot run (e.g. its blob is gone or unreadable); never retried.
 */
export class BackendError extends Error {
  /**
   * A failure inside the worker (the job's blob, image or PDF, an in-process engine), not an
   * answer of the model server: its stack is worth keeping for the crash log.
   */
  internal = false;

  /** A failure inside the worker; `cause` is the error it wraps, whose stack is kept too. */
  static internal(code: 'invalid_input' | 'backend_error', message: string, transient: boolean, cause?: unknown): BackendError {
    const err = new BackendError(code, message, transient);
    err.internal = true;
    // The stack starts where the failure happened, not in this factory.
    Error.captureStackTrace(err, BackendError.internal);
    if (cause !== undefined) err.cause = cause;
    return err;
  }

  constructor(
    readonly code: 'backend_unreachable' | 'backend_timeout' | 'backend_overloaded' | 'backend_error' | 'backend_rejected' | 'circuit_open' | 'aborted' | 'invalid_input',
    message: string,
    readonly transient: boolean,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'BackendError';
  }
}
