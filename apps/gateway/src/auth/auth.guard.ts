import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { GatewayEnv } from '@gantry/config';
import { ApiError, ApiErrorCode } from '../errors/api-error';
import { ApiKeysService } from './api-keys.service';
import { ADMIN_ROUTE, PUBLIC_ROUTE } from './auth.decorators';
import { credentialOf, unauthorized } from './credentials';
import { defaultLimits } from './limits';
import type { Principal } from './principal';
import { SessionRevocations } from './session-revocations.service';
import { TokenService } from './token.service';

function isAdminPath(url: string): boolean {
  const path = url.split('?')[0];
  return path === '/admin' || path.startsWith('/admin/');
}

/**
 * Global guard: every route needs a credential unless marked @Public(). Resolves the Principal
 * once (JWT, or API key from any of the three headers) and puts it on the request. Every
 * `/admin/*` route, and any marked @AdminOnly(), needs the admin role, so an admin route added
 * later is protected even if its author forgets the decorator.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
    private readonly keys: ApiKeysService,
    private readonly revocations: SessionRevocations,
    private readonly env: GatewayEnv,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const req = ctx.switchToHttp().getRequest<FastifyRequest>();
    const credential = credentialOf(req.headers);
    if (!credential) throw unauthorized('Not authenticated');
    const principal = credential.kind === 'jwt' ? await this.fromJwt(credential.token) : await this.keys.authenticate(credential.key);
    if (!principal) throw unauthorized(credential.kind === 'api_key' ? 'Invalid API key' : 'Invalid token');
    req.principal = principal;
    if ((this.reflector.getAllAndOverride<boolean>(ADMIN_ROUTE, targets) || isAdminPath(req.url)) && principal.role !== 'admin') {
      throw new ApiError(ApiErrorCode.Forbidden, 'Admin role required');
    }
    return true;
  }

  private async fromJwt(token: string): Promise<Principal | null> {
    const verified = this.tokens.verify(token);
    if (!verified.ok) {
      if (verified.reason === 'expired') throw unauthorized('Token expired');
      return null;
    }
    const { claims } = verified;
    if (claims.sid && (await this.revocations.isRevoked(claims.sid))) return null;
    return {
      kind: 'user',
      id: claims.sub,
      role: claims.role,
      clientId: claims.cid ?? null,
      ...(claims.sid ? { sessionId: claims.sid } : {}),
      limits: defaultLimits(this.env),
    };
  }
}
