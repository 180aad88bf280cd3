import type { Redis, Result } from 'ioredis';
import { STATUS_RANK, type JobView } from '@gantry/contracts';

/**
 * The hot copy of each job in Redis, read first by polling (DESIGN.md §3). Writes keep the same
 * forward-only precedence as Postgres: a copy is replaced only by one of equal or higher rank.
 * Copies of equal rank may replace each other because every terminal copy is a Postgres row, and
 * rows only move forward (a late submit message can still correct `created_at`). The value is
 * `<rank><json>` so the script needs no JSON parse.
 */
const PUT_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local curRank = tonumber(string.sub(cur, 1, 1))
  local newRank = tonumber(ARGV[2])
  if curRank > newRank then
    redis.call('EXPIRE', KEYS[1], ARGV[3])
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[2] .. ARGV[1], 'EX', ARGV[3])
return 1`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    gantryPutJob(key: string, json: string, rank: string, ttl: string): Result<number, Context>;
  }
}

export class JobHotStore {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
  ) {
    if (typeof (redis as Partial<Redis>).gantryPutJob !== 'function') redis.defineCommand('gantryPutJob', { numberOfKeys: 1, lua: PUT_SCRIPT });
  }

  static key(requestId: string): string {
    return `job:${requestId}`;
  }

  /** Writes views in one round trip; returns how many replaced the stored copy. */
  async putMany(views: JobView[]): Promise<number> {
    if (!views.length) return 0;
    const pipe = this.redis.pipeline();
    for (const v of views) pipe.gantryPutJob(JobHotStore.key(v.request_id), JSON.stringify(v), String(STATUS_RANK[v.status]), String(this.ttlSeconds));
    const results = (await pipe.exec()) ?? [];
    let written = 0;
    for (const [err, n] of results) {
      if (err) throw err;
      written += Number(n);
    }
    return written;
  }

  async get(requestId: string): Promise<JobView | null> {
    const raw = await this.redis.get(JobHotStore.key(requestId));
    return raw ? (JSON.parse(raw.slice(1)) as JobView) : null;
  }
}
