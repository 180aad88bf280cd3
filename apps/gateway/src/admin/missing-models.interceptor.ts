import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { catchError, throwError, type Observable } from 'rxjs';
import type { Principal } from '../auth/principal';
import { ApiError, ApiErrorCode } from '../errors/api-error';
import { MissingModelsService } from './missing-models.service';

const CLIENT_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

/** Who asked: the authenticated client, else a well-formed `X-Client-ID`, else unknown. */
function clientOf(req: FastifyRequest & { principal?: Principal }): string | null {
  if (req.principal?.clientId) return req.principal.clientId;
  const header = req.headers['x-client-id'];
  return typeof header === 'string' && CLIENT_ID.test(header) ? header : null;
}

/**
 * Every front door that refuses a request with `model_not_found` gets it recorded (model from the
 * request body, client, time) for `/admin/missing-models`, without touching the submit paths.
 * Lookups that name no model in a body (e.g. `/admin/queue/{model}`) are not client requests
 * for a model and are not recorded.
 */
@Injectable()
export class MissingModelInterceptor implements NestInterceptor {
  constructor(private readonly missing: MissingModelsService) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      catchError((err: unknown) => {
        if (err instanceof ApiError && err.code === ApiErrorCode.ModelNotFound && ctx.getType() === 'http') {
          const req = ctx.switchToHttp().getRequest<FastifyRequest & { principal?: Principal }>();
          const body = req.body;
          const model = body && typeof body === 'object' && 'model' in body ? (body as { model: unknown }).model : undefined;
          if (typeof model === 'string' && model.length > 0) this.missing.record(model, clientOf(req));
        }
        return throwError(() => err);
      }),
    );
  }
}
