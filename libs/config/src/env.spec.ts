import { ConfigError, DatabaseEnv, GatewayEnv, KafkaEnv, PoolsEnv, WorkerEnv, loadEnv } from './env';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadEnv', () => {
  it('applies defaults when variables are absent', () => {
    const env = loadEnv(WorkerEnv, {});
    expect(env).toBeInstanceOf(WorkerEnv);
    expect(env.KAFKA_BROKERS).toBe('127.0.0.1:9092');
    expect(env.DATABASE_SCHEMA).toBe('public');
    expect(env.WORKER_MAX_CONCURRENT).toBe(16);
    expect(env.WORKER_POOL).toBe('gemma');
    expect(env.NODE_ENV).toBe('development');
  });

  it('applies defaults when variables are empty strings', () => {
    const env = loadEnv(WorkerEnv, { KAFKA_BROKERS: '', WORKER_MAX_CONCURRENT: '', LOG_LEVEL: '' });
    expect(env.KAFKA_BROKERS).toBe('127.0.0.1:9092');
    expect(env.WORKER_MAX_CONCURRENT).toBe(16);
    expect(env.LOG_LEVEL).toBe('info');
  });

  it('converts numeric variables to numbers', () => {
    const env = loadEnv(WorkerEnv, { WORKER_MAX_CONCURRENT: '12', WORKER_AGING_MS: '0', KAFKA_JOB_PARTITIONS: '3' });
    expect(env.WORKER_MAX_CONCURRENT).toBe(12);
    expect(env.WORKER_AGING_MS).toBe(0);
    expect(env.KAFKA_JOB_PARTITIONS).toBe(3);
  });

  it('uses given string values as they are', () => {
    const env = loadEnv(KafkaEnv, { KAFKA_BROKERS: 'a:1,b:2', KAFKA_TOPIC_PREFIX: 'test-1.' });
    expect(env.KAFKA_BROKERS).toBe('a:1,b:2');
    expect(env.KAFKA_TOPIC_PREFIX).toBe('test-1.');
  });

  it('ignores variables the class does not declare', () => {
    const env = loadEnv(KafkaEnv, { SOMETHING_ELSE: 'x', WORKER_MAX_CONCURRENT: '0' }) as KafkaEnv & Record<string, unknown>;
    expect(env.SOMETHING_ELSE).toBeUndefined();
    expect(env.WORKER_MAX_CONCURRENT).toBeUndefined();
  });

  it('lets overrides win over the source', () => {
    const env = loadEnv(GatewayEnv, { PORT: '9000' }, { PORT: 0 });
    expect(env.PORT).toBe(0);
  });

  it('names every bad variable in one ConfigError', () => {
    const err = configError(() => loadEnv(WorkerEnv, { KAFKA_BROKERS: 'nope', WORKER_MAX_CONCURRENT: '0', WORKER_POOL: 'gemma' }));
    expect(err.problems).toHaveLength(2);
    expect(err.message).toContain('KAFKA_BROKERS="nope"');
    expect(err.message).toContain('WORKER_MAX_CONCURRENT="0"');
    expect(err.problems.find((p) => p.startsWith('KAFKA_BROKERS'))).toContain('host:port');
  });

  it('rejects numbers that are not integers', () => {
    const err = configError(() => loadEnv(WorkerEnv, { WORKER_MAX_WAITING: 'lots', WORKER_RETRY_BASE_MS: '1.5' }));
    expect(err.problems.map((p) => p.split('=')[0]).sort()).toEqual(['WORKER_MAX_WAITING', 'WORKER_RETRY_BASE_MS']);
  });

  it('rejects values outside an allowed set', () => {
    const err = configError(() => loadEnv(WorkerEnv, { WORKER_POOL: 'llama', NODE_ENV: 'staging' }));
    expect(err.problems.map((p) => p.split('=')[0]).sort()).toEqual(['NODE_ENV', 'WORKER_POOL']);
  });

  it.each(['Public', 'PUBLIC', '"public"', "'public'", 'gantry;drop', '1schema', 'my-schema'])(
    'rejects DATABASE_SCHEMA=%s',
    (schema) => {
      const err = configError(() => loadEnv(DatabaseEnv, { DATABASE_SCHEMA: schema }));
      expect(err.problems).toHaveLength(1);
      expect(err.problems[0]).toMatch(/^DATABASE_SCHEMA=/);
      expect(err.message).toContain('lower-case SQL identifier');
    },
  );

  it('accepts a lower-case DATABASE_SCHEMA with digits and underscores', () => {
    expect(loadEnv(DatabaseEnv, { DATABASE_SCHEMA: 'gantry_test_2' }).DATABASE_SCHEMA).toBe('gantry_test_2');
  });

  it('reads an optional variable without a default when it is set', () => {
    expect(loadEnv(PoolsEnv, {}).OCR_BACKEND_URL).toBeUndefined();
    expect(loadEnv(PoolsEnv, { OCR_BACKEND_URL: 'http://ocr:8001' }).OCR_BACKEND_URL).toBe('http://ocr:8001');
  });

  it('rejects a backend URL that is not http(s)', () => {
    const err = configError(() => loadEnv(PoolsEnv, { GEMMA_BACKEND_URL: 'ftp://x', OCR_BACKEND_URL: 'not a url' }));
    expect(err.problems.map((p) => p.split('=')[0]).sort()).toEqual(['GEMMA_BACKEND_URL', 'OCR_BACKEND_URL']);
  });
});
