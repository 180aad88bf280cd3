/**
 * Why a backend call failed, and whether trying again can help (DESIGN.md §2, step 7).
 * `invalid_input`: the job itself cannot run (e.g. its blob is gone or unreadable); never retried.
 */
export class BackendError extends Error {
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
