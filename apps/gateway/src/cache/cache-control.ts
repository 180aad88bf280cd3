import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/** What a request's `Cache-Control` allows the response cache to do. */
export interface CacheDirectives {
  /** `no-cache`: do not answer from the cache (the fresh answer is still stored). */
  lookup: boolean;
  /** `no-store`: do not store this answer. */
  store: boolean;
}

/** Reads the `no-cache` and `no-store` directives (RFC 9111 §5.2.1); others are ignored. */
export function parseCacheControl(raw: string | string[] | undefined): CacheDirectives {
  const directives = new Set(
    (Array.isArray(raw) ? raw.join(',') : (raw ?? ''))
      .split(',')
      .map((d) => d.trim().toLowerCase().split('=')[0])
      .filter(Boolean),
  );
  return { lookup: !directives.has('no-cache'), store: !directives.has('no-store') };
}

export const RequestCacheControl = createParamDecorator((_: unknown, ctx: ExecutionContext): CacheDirectives => {
  const req = ctx.switchToHttp().getRequest<FastifyRequest>();
  return parseCacheControl(req.headers['cache-control']);
});
