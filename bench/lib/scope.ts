import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import Redis from 'ioredis';
import { DatabaseEnv, loadEnv, RedisEnv } from '@gantry/config';
import { migrate } from '@gantry/db';
import { ensureTopics, TopicNamer } from '@gantry/kafka';
import { BENCH_JWT_SECRET } from './auth';

/**
 * One scenario's isolated slice of the shared local stack, as test/support/stack.ts does for a test
 * file: its own Kafka topic prefix (and so consumer groups), Postgres schema and Redis key prefix.
 * Everything it created is removed by `cleanup()`; nothing else is touched.
 */
export class Scope {
  readonly env: Record<string, string>;
  readonly namer: TopicNamer;
  readonly kafka: Kafka;
  readonly pg: Pool;
  private redis?: Redis;

  constructor(
    readonly runId: string,
    readonly name: string,
    jobPartitions: number,
  ) {
    const id = `${runId}_${name}`;
    this.env = {
      NODE_ENV: 'production',
      // info: the apps log their start-up line at info, and nothing per job above debug.
      LOG_LEVEL: 'info',
      KAFKA_TOPIC_PREFIX: `${id}.`,
      KAFKA_JOB_PARTITIONS: String(jobPartitions),
      DATABASE_SCHEMA: id.toLowerCase(),
      REDIS_PREFIX: `${id}:`,
      // Auth (issue 6): the run signs its clients' tokens with this secret (bench/lib/auth.ts).
      GANTRY_JWT_SECRET: BENCH_JWT_SECRET,
      // The benchmark measures capacity, not quotas: rate limits and the backlog admission limit
      // are raised out of the way (their checks still run on every submit).
      RATE_LIMIT_REQUESTS_PER_MINUTE: '100000000',
      RATE_LIMIT_BURST: '10000000',
      RATE_LIMIT_TOKENS_PER_MINUTE: '1000000000000',
      RATE_LIMIT_MAX_CONCURRENT_JOBS: '0',
      ADMISSION_MAX_BACKLOG: 'gemma=1000000000,deepseek-ocr=1000000000',
      // Workers and recorders serve a health port; several run at once here, so each takes a free one.
      HEALTH_PORT: '0',
      HEALTH_HOST: '127.0.0.1',
      // A killed consumer leaves its group after this; clean-up and restarts wait for it.
      KAFKA_SESSION_TIMEOUT_MS: '10000',
    };
    const base = loadEnv(DatabaseEnv, { ...process.env, ...this.env });
    this.namer = new TopicNamer(base.KAFKA_TOPIC_PREFIX);
    this.kafka = new Kafka({ clientId: `bench-${id}`, brokers: base.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });
    this.pg = new Pool({ connectionString: base.DATABASE_URL, max: 2, options: `-c search_path=${base.DATABASE_SCHEMA}` });
  }

  get schema(): string {
    return this.env.DATABASE_SCHEMA;
  }

  async setup(): Promise<void> {
    const env = loadEnv(DatabaseEnv, { ...process.env, ...this.env });
    await migrate(env);
    // The broker is shared and busy (other runs create and delete topics): retry transient errors.
    for (let attempt = 1; ; attempt++) {
      try {
        await ensureTopics(this.kafka, this.namer, env.KAFKA_JOB_PARTITIONS);
        return;
      } catch (err) {
        if (attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, 1000 * attempt));
      }
    }
  }

  /** Env for an app process of this scope, plus overrides. */
  appEnv(extra: Record<string, string> = {}): Record<string, string> {
    return { ...this.env, ...extra };
  }

  async count(sql: string, params: unknown[] = []): Promise<number> {
    const { rows } = await this.pg.query<{ n: string }>(sql, params);
    return Number(rows[0]?.n ?? 0);
  }

  /** Members of a consumer group once it is stable (the group has partitions assigned). */
  async waitGroupStable(logicalGroup: string, timeoutMs = 60_000): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { groups } = await admin.describeGroups([this.namer.group(logicalGroup)]);
        if (groups[0]?.state === 'Stable' && groups[0].members.length > 0) return;
        if (Date.now() > deadline) throw new Error(`consumer group ${logicalGroup} not stable after ${timeoutMs} ms (${groups[0]?.state})`);
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      await admin.disconnect();
    }
  }

  /** Waits until a consumer group has no members (after its consumers were killed, their sessions expire). */
  async waitGroupEmpty(logicalGroup: string, timeoutMs = 60_000): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { groups } = await admin.describeGroups([this.namer.group(logicalGroup)]);
        const state = groups[0]?.state;
        if (state === 'Empty' || state === 'Dead' || !groups[0]?.members.length) return;
        if (Date.now() > deadline) throw new Error(`consumer group ${logicalGroup} still has members after ${timeoutMs} ms (${state})`);
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      await admin.disconnect();
    }
  }

  /** Sum of a consumer group's committed offsets over `topics` (messages it has finished). */
  async committed(logicalGroup: string, topics: string[]): Promise<number> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const res = await admin.fetchOffsets({ groupId: this.namer.group(logicalGroup), topics: topics.map((t) => this.namer.topic(t)) });
      return res.flatMap((t) => t.partitions).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    } finally {
      await admin.disconnect();
    }
  }

  /** Messages in the given logical topics (high watermark minus low). */
  async topicDepth(topics: string[]): Promise<number> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      let n = 0;
      for (const t of topics) for (const p of await admin.fetchTopicOffsets(this.namer.topic(t))) n += Number(p.high) - Number(p.low);
      return n;
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Forgets a (stopped, empty) consumer group: its next consumer starts from the beginning of the
   * topics (Gantry's consumers subscribe fromBeginning), facing the whole backlog again. Deleting
   * is one request; kafkajs's resetOffsets joins the group once per topic (seconds each).
   */
  async forgetGroup(logicalGroup: string): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await admin.deleteGroups([this.namer.group(logicalGroup)]);
    } finally {
      await admin.disconnect();
    }
  }

  private redisClient(): Redis {
    this.redis ??= new Redis(loadEnv(RedisEnv, process.env).REDIS_URL, { maxRetriesPerRequest: 2 });
    return this.redis;
  }

  /** Removes this scope's schema, topics, consumer groups and Redis keys; best effort, never throws. */
  async cleanup(): Promise<string[]> {
    const problems: string[] = [];
    const attempt = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (err) {
        problems.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
      }
    };
    await attempt('drop schema', () => this.pg.query(`DROP SCHEMA IF EXISTS "${this.schema}" CASCADE`));
    await attempt('close pg', () => this.pg.end());
    await attempt('delete redis keys', async () => {
      const redis = this.redisClient();
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${this.env.REDIS_PREFIX}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await redis.unlink(...keys);
      } while (cursor !== '0');
      redis.disconnect();
    });
    await attempt('delete topics and groups', async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      try {
        const prefix = this.env.KAFKA_TOPIC_PREFIX;
        // A group whose consumer was killed keeps its member until the session times out (10 s here).
        let groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix));
        for (let attempt = 0; groups.length && attempt < 15; attempt++) {
          if (attempt) await new Promise((r) => setTimeout(r, 2000));
          const res = await admin.deleteGroups(groups).catch((err: { groups?: Array<{ groupId: string; errorCode: number }> }) => err.groups ?? []);
          groups = res.filter((g) => g.errorCode !== 0).map((g) => g.groupId);
        }
        if (groups.length) problems.push(`consumer groups not deleted: ${groups.join(', ')}`);
        const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
        if (topics.length) await admin.deleteTopics({ topics, timeout: 30_000 });
      } finally {
        await admin.disconnect();
      }
    });
    return problems;
  }
}
