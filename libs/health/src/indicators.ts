import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { Redis } from 'ioredis';
import { withTimeout } from '@gantry/common';
import type { KafkaInspector } from '@gantry/kafka';

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Redis answers PING. */
@Injectable()
export class RedisHealthIndicator {
  constructor(private readonly health: HealthIndicatorService) {}

  async pingCheck<K extends string>(key: K, redis: Redis, timeoutMs: number) {
    const check = this.health.check(key);
    try {
      const pong = await withTimeout(redis.ping(), timeoutMs, 'Redis PING');
      return pong === 'PONG' ? check.up() : check.down({ message: `unexpected answer ${pong}` });
    } catch (err) {
      return check.down({ message: messageOf(err) });
    }
  }
}

/** The Kafka cluster answers a metadata request (describeCluster). */
@Injectable()
export class KafkaHealthIndicator {
  constructor(private readonly health: HealthIndicatorService) {}

  async pingCheck<K extends string>(key: K, inspector: KafkaInspector, timeoutMs: number) {
    const check = this.health.check(key);
    try {
      const { brokers } = await inspector.ping(timeoutMs);
      return brokers > 0 ? check.up({ brokers }) : check.down({ message: 'no broker in the cluster metadata' });
    } catch (err) {
      return check.down({ message: messageOf(err) });
    }
  }
}

/** A pool's model server answers `GET <url>/health` with 2xx (vLLM and the simulator both serve it). */
@Injectable()
export class BackendHealthIndicator {
  constructor(private readonly health: HealthIndicatorService) {}

  async pingCheck<K extends string>(key: K, baseUrl: string, timeoutMs: number) {
    const check = this.health.check(key);
    const url = `${baseUrl.replace(/\/+$/, '')}/health`;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      await res.arrayBuffer().catch(() => undefined);
      return res.ok ? check.up({ url: baseUrl }) : check.down({ url: baseUrl, message: `GET /health answered ${res.status}` });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      const message = err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${timeoutMs}ms` : (cause ?? messageOf(err));
      return check.down({ url: baseUrl, message });
    }
  }
}
