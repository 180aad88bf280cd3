import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/**
 * A real local HTTP server standing in for a webhook receiver (outside the system). Each path
 * answers through its handler; everything received is kept for assertions.
 */
export class Receiver {
  readonly received: Received[] = [];
  private readonly handlers = new Map<string, (r: Received, res: ServerResponse, n: number) => void>();
  private server?: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r: Received = { path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
        this.received.push(r);
        const n = this.received.filter((x) => x.path === r.path).length;
        const handler = this.handlers.get(r.path);
        if (handler) handler(r, res, n);
        else res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** `n` is how many requests this path has received, this one included. */
  on(path: string, handler: (r: Received, res: ServerResponse, n: number) => void): void {
    this.handlers.set(path, handler);
  }

  at(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

/** Verifies a delivery the way a real receiver would, with the `standardwebhooks` package; throws if the signature is wrong. */
export function verifiedDelivery<T = { type: string; data: Record<string, unknown> }>(secret: string, r: Received): T {
  const headers = { 'webhook-id': String(r.headers['webhook-id']), 'webhook-timestamp': String(r.headers['webhook-timestamp']), 'webhook-signature': String(r.headers['webhook-signature']) };
  return new Webhook(secret).verify(r.body, headers) as T;
}
