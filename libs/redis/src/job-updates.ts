import type { Redis } from 'ioredis';
import type { JobStatus, JobView } from '@gantry/contracts';

/**
 * Live job updates over Redis pub/sub, so any gateway replica can stream any job (DESIGN.md §3):
 * the recorder publishes each state it writes, the worker publishes `running` and token chunks
 * as vLLM streams them. Pub/sub channels ignore ioredis' keyPrefix, so names carry the prefix.
 */
export type JobUpdate =
  | { type: 'state'; status: JobStatus; view?: JobView }
  | { type: 'token'; index: number; delta: string };

/**
 * What the worker publishes on a job's reply channel when the job ends and a caller waits for it
 * (`JobOptions.reply`): the same outcome as the `succeeded` / `failed` / … event Kafka holds.
 */
export interface JobReply {
  status: 'succeeded' | 'failed' | 'cancelled' | 'expired';
  result?: unknown;
  usage?: unknown;
  error?: { code: string; message: string; status?: number };
}

export class JobChannels {
  constructor(private readonly prefix: string) {}
  job(requestId: string): string {
    return `${this.prefix}job-updates:${requestId}`;
  }
  /** The outcome of a job someone waits for synchronously (see JobReply). */
  reply(requestId: string): string {
    return `${this.prefix}job-reply:${requestId}`;
  }
  /** Broadcast of cancelled request ids to every worker. */
  get cancel(): string {
    return `${this.prefix}job-cancel`;
  }
  /** How long a cancel marker is kept: longer than any job waits in a queue. */
  static readonly CANCEL_MARKER_TTL_SECONDS = 7 * 24 * 3600;
  /** Key (under keyPrefix) marking a job as cancelled, checked before a job runs. */
  static cancelKey(requestId: string): string {
    return `cancel:${requestId}`;
  }
}

/** Publishes many updates in one round trip. */
export async function publishJobUpdates(redis: Redis, channels: JobChannels, updates: Array<{ requestId: string; update: JobUpdate }>): Promise<void> {
  if (!updates.length) return;
  const pipe = redis.pipeline();
  for (const u of updates) pipe.publish(channels.job(u.requestId), JSON.stringify(u.update));
  await pipe.exec();
}

/**
 * One subscriber connection shared by all listeners of a process; SUBSCRIBE/UNSUBSCRIBE follow
 * the first and last listener of each channel.
 */
export class JobUpdatesHub {
  private readonly listeners = new Map<string, Set<(message: unknown) => void>>();
  private sub?: Redis;

  constructor(
    private readonly redis: Redis,
    private readonly channels: JobChannels,
  ) {}

  private connection(): Redis {
    if (!this.sub) {
      this.sub = this.redis.duplicate({ keyPrefix: '' });
      this.sub.on('message', (channel: string, message: string) => {
        const set = this.listeners.get(channel);
        if (!set) return;
        let update: unknown;
        try {
          update = JSON.parse(message);
        } catch {
          return;
        }
        for (const l of [...set]) l(update);
      });
    }
    return this.sub;
  }

  /** Starts listening; resolves once subscribed (so nothing published afterwards is missed). */
  listen(requestId: string, listener: (u: JobUpdate) => void): Promise<() => void> {
    return this.listenOn(this.channels.job(requestId), listener as (message: unknown) => void);
  }

  /** Listens for the job's outcome on its reply channel (see JobReply); resolves once subscribed. */
  listenForReply(requestId: string, listener: (reply: JobReply) => void): Promise<() => void> {
    return this.listenOn(this.channels.reply(requestId), listener as (message: unknown) => void);
  }

  private async listenOn(channel: string, listener: (message: unknown) => void): Promise<() => void> {
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      try {
        await this.connection().subscribe(channel);
      } catch (err) {
        // Not subscribed: a later listen must try again rather than find a dead entry.
        this.listeners.delete(channel);
        throw err;
      }
    }
    set.add(listener);
    return () => {
      const s = this.listeners.get(channel);
      if (!s) return;
      s.delete(listener);
      if (s.size === 0) {
        this.listeners.delete(channel);
        void this.sub?.unsubscribe(channel).catch(() => undefined);
      }
    };
  }

  /** Subscribes to cancel broadcasts (workers). */
  async onCancel(listener: (requestId: string) => void): Promise<void> {
    const conn = this.connection();
    conn.on('message', (channel: string, message: string) => {
      if (channel === this.channels.cancel) listener(message);
    });
    await conn.subscribe(this.channels.cancel);
  }

  /** Nest calls this when the owning app closes. */
  onModuleDestroy(): void {
    this.close();
  }

  close(): void {
    this.sub?.disconnect();
    this.sub = undefined;
    this.listeners.clear();
  }
}
