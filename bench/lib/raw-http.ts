import { connect, type Socket } from 'node:net';

/**
 * A lean HTTP/1.1 keep-alive client for load generation: requests are pre-serialised bytes,
 * responses are parsed just enough (status line, Content-Length, body). Node's http client costs
 * several times more CPU per request, and on a 2-core box the load generator shares the cores with
 * what it measures, so every microsecond it spends is taken from the system under test.
 *
 * One request per connection at a time (no pipelining). When every connection is busy and the
 * limit is reached, requests wait in a FIFO queue: an open-loop caller measures from the moment it
 * meant to send, so that wait is part of the latency it reports (no coordinated omission).
 */
export interface RawResponse {
  status: number;
  body: Buffer;
}

type Callback = (err: Error | null, res?: RawResponse) => void;

interface Pending {
  bytes: Buffer;
  cb: Callback;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

class Connection {
  private socket: Socket;
  private buf: Buffer = Buffer.alloc(0);
  private current: Pending | undefined;
  private headerEnd = -1;
  private bodyLength = -1;
  private status = 0;
  alive = true;

  constructor(
    host: string,
    port: number,
    private readonly onIdle: (c: Connection) => void,
    private readonly onDead: (c: Connection) => void,
  ) {
    this.socket = connect({ host, port, noDelay: true });
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    const die = (err?: Error) => {
      if (!this.alive) return;
      this.alive = false;
      const cur = this.current;
      this.current = undefined;
      this.onDead(this);
      if (cur) cur.cb(err ?? new Error('connection closed'));
    };
    this.socket.on('error', die);
    this.socket.on('close', () => die());
  }

  get busy(): boolean {
    return this.current !== undefined;
  }

  send(p: Pending): void {
    this.current = p;
    this.socket.write(p.bytes);
  }

  close(): void {
    this.alive = false;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      if (this.headerEnd < 0) {
        const end = this.buf.indexOf(CRLFCRLF);
        if (end < 0) return;
        const head = this.buf.subarray(0, end).toString('latin1');
        this.status = Number(head.slice(9, 12));
        const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        if (!m) {
          // Every server measured here answers with Content-Length; anything else is a harness bug.
          this.fail(new Error(`response without content-length: ${head.split('\r\n')[0]}`));
          return;
        }
        this.headerEnd = end + 4;
        this.bodyLength = Number(m[1]);
      }
      if (this.buf.length < this.headerEnd + this.bodyLength) return;
      const body = this.buf.subarray(this.headerEnd, this.headerEnd + this.bodyLength);
      this.buf = this.buf.subarray(this.headerEnd + this.bodyLength);
      this.headerEnd = -1;
      const cur = this.current;
      this.current = undefined;
      if (cur) cur.cb(null, { status: this.status, body });
      if (!this.alive) return;
      this.onIdle(this);
      if (this.buf.length === 0) return;
    }
  }

  private fail(err: Error): void {
    const cur = this.current;
    this.current = undefined;
    this.alive = false;
    this.socket.destroy();
    this.onDead(this);
    if (cur) cur.cb(err);
  }
}

export class RawHttpPool {
  private readonly idle: Connection[] = [];
  private readonly all = new Set<Connection>();
  private readonly queue: Pending[] = [];
  private queueHead = 0;
  private closed = false;
  /** Most connections open at once (how much concurrency the load needed). */
  peakConnections = 0;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly maxConnections: number,
  ) {}

  get queued(): number {
    return this.queue.length - this.queueHead;
  }

  request(bytes: Buffer, cb: Callback): void {
    if (this.closed) return cb(new Error('pool closed'));
    const conn = this.idle.pop();
    if (conn) return conn.send({ bytes, cb });
    if (this.all.size < this.maxConnections) {
      const c = new Connection(this.host, this.port, (x) => this.onIdle(x), (x) => this.onDead(x));
      this.all.add(c);
      if (this.all.size > this.peakConnections) this.peakConnections = this.all.size;
      return c.send({ bytes, cb });
    }
    this.queue.push({ bytes, cb });
  }

  requestAsync(bytes: Buffer): Promise<RawResponse> {
    return new Promise((resolve, reject) => this.request(bytes, (err, res) => (err ? reject(err) : resolve(res!))));
  }

  close(): void {
    this.closed = true;
    for (const c of this.all) c.close();
    this.all.clear();
    this.idle.length = 0;
    const waiting = this.queue.splice(this.queueHead);
    this.queue.length = 0;
    this.queueHead = 0;
    for (const p of waiting) p.cb(new Error('pool closed'));
  }

  private onIdle(c: Connection): void {
    if (this.queueHead < this.queue.length) {
      const next = this.queue[this.queueHead++];
      if (this.queueHead > 4096 && this.queueHead * 2 > this.queue.length) {
        this.queue.splice(0, this.queueHead);
        this.queueHead = 0;
      }
      c.send(next);
    } else {
      this.idle.push(c);
    }
  }

  private onDead(c: Connection): void {
    this.all.delete(c);
    const i = this.idle.indexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
  }
}

/** Serialises one HTTP/1.1 request with a keep-alive connection. */
export function buildRequest(method: 'GET' | 'POST', host: string, path: string, headers: Record<string, string>, body?: string): Buffer {
  const payload = body === undefined ? undefined : Buffer.from(body);
  let head = `${method} ${path} HTTP/1.1\r\nhost: ${host}\r\nconnection: keep-alive\r\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  if (payload) head += `content-length: ${payload.length}\r\n`;
  head += '\r\n';
  return payload ? Buffer.concat([Buffer.from(head, 'latin1'), payload]) : Buffer.from(head, 'latin1');
}
