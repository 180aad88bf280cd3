import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Role } from '@gantry/db';

/** What one credential may do; API keys carry their own, users the gateway's defaults. */
export interface Limits {
  requestsPerMinute: number;
  burst: number;
  tokensPerMinute: number;
  /** Unfinished jobs of the client at once; 0 = no limit. */
  maxConcurrentJobs: number;
  /** Backend model names allowed; null = all. */
  allowedModels: string[] | null;
}

/** Who is calling, resolved once per request by the global AuthGuard. */
export interface Principal {
  kind: 'user' | 'api_key';
  /** User id or key id: the identity rate limits are counted for. */
  id: string;
  role: Role;
  /** The tenant the caller acts for; null for an admin user. */
  clientId: string | null;
  /** API keys: the calling service's name. */
  serviceName?: string;
  /** Users: the login session (refresh token family) the access token belongs to. */
  sessionId?: string;
  limits: Limits;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** The caller of an authenticated route (the guard has refused the request otherwise). */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<FastifyRequest>().principal;
  if (!principal) throw new Error('CurrentPrincipal used on a route the AuthGuard did not authenticate');
  return principal;
});
