import { Inject, Injectable, Logger, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckService, TypeOrmHealthIndicator, type HealthCheckResult, type HealthIndicatorFunction } from '@nestjs/terminus';
import type { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import type { KafkaInspector } from '@gantry/kafka';
import { BackendHealthIndicator, KafkaHealthIndicator, RedisHealthIndicator } from './indicators';

/** What a process depends on; each present entry becomes one indicator of `/health/ready`. */
export interface ReadinessOptions {
  /** Postgres through TypeORM: a data source, or `true` for the application context's default one. */
  postgres?: DataSource | true;
  redis?: Redis;
  kafka?: KafkaInspector;
  /** Model servers by pool name (base URLs); pools without an HTTP server are left out. */
  backends?: Record<string, string>;
  /** Limit for each check; default 2 s. */
  timeoutMs?: number;
}

export const READINESS_OPTIONS = Symbol('READINESS_OPTIONS');

export interface Readiness {
  ok: boolean;
  /** Terminus' shape: `{status: 'ok'|'error', info, error, details}`. */
  result: HealthCheckResult;
}

/** Readiness of one process: every dependency answers within the timeout. */
@Injectable()
export class ReadinessService {
  private readonly log = new Logger(ReadinessService.name);
  private lastDown: string | null = null;

  constructor(
    private readonly health: HealthCheckService,
    private readonly typeorm: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly kafka: KafkaHealthIndicator,
    private readonly backend: BackendHealthIndicator,
    @Inject(READINESS_OPTIONS) private readonly options: ReadinessOptions,
  ) {}

  private indicators(): HealthIndicatorFunction[] {
    const o = this.options;
    const timeout = o.timeoutMs ?? 2_000;
    const checks: HealthIndicatorFunction[] = [];
    if (o.postgres) {
      const connection = o.postgres === true ? undefined : o.postgres;
      checks.push(() => this.typeorm.pingCheck('postgres', { connection, timeout }));
    }
    if (o.redis) {
      const redis = o.redis;
      checks.push(() => this.redis.pingCheck('redis', redis, timeout));
    }
    if (o.kafka) {
      const kafka = o.kafka;
      checks.push(() => this.kafka.pingCheck('kafka', kafka, timeout));
    }
    for (const [pool, url] of Object.entries(o.backends ?? {})) checks.push(() => this.backend.pingCheck(`backend:${pool}`, url, timeout));
    return checks;
  }

  async check(): Promise<Readiness> {
    let readiness: Readiness;
    try {
      readiness = { ok: true, result: await this.health.check(this.indicators()) };
    } catch (err) {
      if (!(err instanceof ServiceUnavailableException)) throw err;
      readiness = { ok: false, result: err.getResponse() as HealthCheckResult };
    }
    this.logTransition(readiness);
    return readiness;
  }

  /** Probes call this every few seconds: log when the state changes, not on every call. */
  private logTransition({ ok, result }: Readiness): void {
    const down = ok ? null : Object.keys(result.error ?? {}).sort().join(',');
    if (down === this.lastDown) return;
    if (down) this.log.warn({ msg: 'not ready', down: Object.keys(result.error ?? {}), error: result.error });
    else this.log.log({ msg: 'ready again' });
    this.lastDown = down;
  }
}
