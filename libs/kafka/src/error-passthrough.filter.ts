import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';

/**
 * Nest's default RPC filter replaces every handler error with "Internal server error". The
 * transport needs the real error (retry decisions, dead-letter reasons), so pass it through.
 */
@Catch()
export class ErrorPassthroughFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}
