import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplicationContext, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { enableProcessMetrics, scrape } from '@gantry/metrics';
import { HealthModule } from './health.module';
import { ReadinessService, type ReadinessOptions } from './readiness.service';

export interface HealthServerOptions {
  port: number;
  host: string;
  readiness: ReadinessOptions;
  /** The app's logger (state changes of readiness are logged). */
  logger?: LoggerService;
}

export interface HealthServer {
  url: string;
  readiness: ReadinessService;
  close(): Promise<void>;
}

/** Liveness: the process answers. The same body as the gateway's `/health` (reference/002). */
export function liveness(): { status: 'healthy'; timestamp: string } {
  return { status: 'healthy', timestamp: new Date().toISOString() };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * `/health`, `/health/ready` and `/metrics` for processes without an HTTP API (workers,
 * consumers), on a port of their own. Readiness runs Terminus indicators in a small Nest
 * application context of its own, so the app's module stays as it is.
 */
export async function startHealthServer(opts: HealthServerOptions): Promise<HealthServer> {
  enableProcessMetrics();
  const ctx: INestApplicationContext = await NestFactory.createApplicationContext(HealthModule.forRoot(opts.readiness), {
    // Undefined keeps the process-wide logger as it is (false would silence every app in the process).
    ...(opts.logger ? { logger: opts.logger } : {}),
    abortOnError: false,
  });
  const readiness = ctx.get(ReadinessService);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    const known = path === '/health' || path === '/health/ready' || path === '/metrics';
    if (!known) return json(res, 404, { code: 'not_found', detail: 'Not found' });
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { code: 'method_not_allowed', detail: 'Method not allowed' });
    if (path === '/health') return json(res, 200, liveness());
    if (path === '/health/ready') {
      const { ok, result } = await readiness.check();
      return json(res, ok ? 200 : 503, result);
    }
    const { contentType, body } = await scrape();
    res.writeHead(200, { 'content-type': contentType });
    res.end(body);
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) json(res, 500, { code: 'internal_error', detail: 'Internal error' });
      else res.destroy();
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await ctx.close();
    throw new Error(`health server could not listen on ${opts.host}:${opts.port}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host}:${port}`,
    readiness,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await ctx.close();
    },
  };
}
