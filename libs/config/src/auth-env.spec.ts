import { ConfigError, GatewayEnv, loadEnv } from './env';

function problems(source: Record<string, string>): string[] {
  try {
    loadEnv(GatewayEnv, source);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  return [];
}

describe('GatewayEnv security settings', () => {
  it('lets development and test run without a JWT secret (the gateway makes one per process)', () => {
    expect(loadEnv(GatewayEnv, {}).GANTRY_JWT_SECRET).toBeUndefined();
    expect(loadEnv(GatewayEnv, { NODE_ENV: 'test' }).GANTRY_JWT_SECRET).toBeUndefined();
  });

  it('refuses production without a JWT secret', () => {
    const p = problems({ NODE_ENV: 'production' });
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^GANTRY_JWT_SECRET=.*required outside development/);
  });

  it('refuses a JWT secret shorter than 32 characters, in any environment, without printing it', () => {
    for (const NODE_ENV of ['production', 'development']) {
      const p = problems({ NODE_ENV, GANTRY_JWT_SECRET: 'hunter2-hunter2' });
      expect(p).toHaveLength(1);
      expect(p[0]).toContain('at least 32');
      expect(p[0]).not.toContain('hunter2');
    }
  });

  it('accepts a 32-character secret in production', () => {
    expect(loadEnv(GatewayEnv, { NODE_ENV: 'production', GANTRY_JWT_SECRET: 'k'.repeat(32) }).GANTRY_JWT_SECRET).toBe('k'.repeat(32));
  });

  it('refuses a short admin password without printing it', () => {
    const p = problems({ GANTRY_ADMIN_USER: 'root', GANTRY_ADMIN_PASSWORD: 'tooshort' });
    expect(p).toHaveLength(1);
    expect(p[0]).toContain('GANTRY_ADMIN_PASSWORD');
    expect(p[0]).not.toContain('tooshort');
  });

  it('treats empty first-admin variables as unset (compose passes `GANTRY_ADMIN_PASSWORD=` when none is set)', () => {
    const env = loadEnv(GatewayEnv, { NODE_ENV: 'production', GANTRY_JWT_SECRET: 'k'.repeat(32), GANTRY_ADMIN_USER: '', GANTRY_ADMIN_PASSWORD: '' });
    expect(env.GANTRY_ADMIN_USER).toBeUndefined();
    expect(env.GANTRY_ADMIN_PASSWORD).toBeUndefined();
    // An empty JWT secret is still a missing one in production.
    expect(problems({ NODE_ENV: 'production', GANTRY_JWT_SECRET: '' })[0]).toMatch(/^GANTRY_JWT_SECRET=/);
  });

  it('has the reference rate limits by default (60 per minute, burst 10)', () => {
    const env = loadEnv(GatewayEnv, {});
    expect(env.RATE_LIMIT_REQUESTS_PER_MINUTE).toBe(60);
    expect(env.RATE_LIMIT_BURST).toBe(10);
    expect(env.ACCESS_TOKEN_TTL_SECONDS).toBe(900);
  });

  it('validates the pool backlog list', () => {
    expect(loadEnv(GatewayEnv, { ADMISSION_MAX_BACKLOG: 'gemma=20' }).ADMISSION_MAX_BACKLOG).toBe('gemma=20');
    expect(problems({ ADMISSION_MAX_BACKLOG: 'gemma:20' })[0]).toContain('ADMISSION_MAX_BACKLOG');
  });
});
