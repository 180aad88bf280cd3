import Redis, { type RedisOptions } from 'ioredis';
import type { RedisEnv } from '@gantry/config';

export function createRedis(env: RedisEnv, extra: RedisOptions = {}): Redis {
  return new Redis(env.REDIS_URL, {
    keyPrefix: env.REDIS_PREFIX,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    lazyConnect: false,
    ...extra,
  });
}
