import { createHmac } from 'node:crypto';
import type { RunningGateway } from '../apps/gateway/src/gateway.bootstrap';
import { PasswordHasher } from '../apps/gateway/src/auth/password-hasher.service';
import { hashSecret } from '../apps/gateway/src/auth/sessions.service';
import { chatBody, createStack, getJob, submitChat, waitTerminal, type TestStack } from './support/stack';
import { bearer, call, postForm, postJson, type HttpResult } from './support/http';

/** Users, login (form and JSON), refresh rotation, logout, token checks, first admin. */
describe('users and tokens', () => {
  let stack: TestStack;
  let gw: RunningGateway;
  let admin: { username: string; password: string };
  const clientPassword = 'correct horse battery staple';

  beforeAll(async () => {
    stack = await createStack();
    // `npm start` in development: no admin configured, so one is generated and shown once.
    gw = await stack.startGateway({ NODE_ENV: 'development' });
    admin = gw.firstAdmin!;
    await Promise.all([stack.startWorker(), stack.startRecorder()]);
    const created = await postJson(gw.url, '/admin/users', { username: 'alice', password: clientPassword, role: 'client', client_id: 'acme' }, await adminHeaders());
    expect(created.status).toBe(201);
  });
  afterAll(() => stack?.stop());

  async function adminHeaders(): Promise<Record<string, string>> {
    const res = await postForm(gw.url, '/auth/token', admin);
    return bearer(res.body.access_token as string);
  }

  const login = (username: string, password: string) => postForm(gw.url, '/auth/token', { username, password });

  describe('first admin', () => {
    it('is generated in development with a random password (no admin/admin), and only once', async () => {
      expect(admin.username).toBe('admin');
      expect(admin.password.length).toBeGreaterThanOrEqual(20);
      expect((await login('admin', 'admin')).status).toBe(401);
      const { rows } = await stack.pg.query("SELECT username, password_hash FROM users WHERE role = 'admin'");
      expect(rows).toHaveLength(1);
      expect(rows[0].password_hash).toMatch(/^\$argon2id\$/);
      expect(rows[0].password_hash).not.toContain(admin.password);
    });

    it('comes from GANTRY_ADMIN_USER / GANTRY_ADMIN_PASSWORD only while no user exists', async () => {
      const second = await stack.startGateway({ GANTRY_ADMIN_USER: 'root', GANTRY_ADMIN_PASSWORD: 'another-long-password' });
      expect(second.firstAdmin).toBeNull();
      expect((await postForm(second.url, '/auth/token', { username: 'root', password: 'another-long-password' })).status).toBe(401);
      expect((await stack.pg.query("SELECT count(*)::int AS n FROM users WHERE role = 'admin'")).rows[0].n).toBe(1);
    });
  });

  describe('login', () => {
    it('POST /auth/token (form) returns the reference token shape', async () => {
      const res = await login('alice', clientPassword);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ access_token: expect.any(String), refresh_token: expect.any(String), token_type: 'bearer', expires_in: 900 });
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.body.access_token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    });

    it('POST /api/auth/login (JSON) works the same, and the username is case-insensitive', async () => {
      const res = await postJson(gw.url, '/api/auth/login', { username: 'ALICE', password: clientPassword });
      expect(res.status).toBe(200);
      expect(res.body.token_type).toBe('bearer');
    });

    it('a client user submits for its own client without X-Client-ID and polls it', async () => {
      const { body } = await login('alice', clientPassword);
      const headers = bearer(body.access_token as string);
      const res = await submitChat(gw.url, chatBody('hello from alice'), headers);
      expect(res.status).toBe(202);
      const done = await waitTerminal(gw.url, res.body.request_id as string, 30_000, headers);
      expect(done).toMatchObject({ status: 'succeeded', client_id: 'acme' });
    });

    it('answers a wrong password and an unknown user identically', async () => {
      const wrong = await login('alice', 'not the password');
      const unknown = await login('nobody-by-this-name', 'not the password');
      for (const res of [wrong, unknown]) {
        expect(res.status).toBe(401);
        expect(res.body).toEqual({ code: 'invalid_credentials', detail: 'Incorrect username or password' });
      }
    });

    it('does the same argon2 work for an unknown user as for a wrong password (no timing oracle)', async () => {
      const hasher = gw.app.get(PasswordHasher);
      const verify = jest.spyOn(hasher, 'verify');
      const dummy = jest.spyOn(hasher, 'verifyDummy');
      try {
        await login('nobody-by-this-name', 'guess');
        expect(dummy).toHaveBeenCalledTimes(1);
        expect(verify).toHaveBeenCalledTimes(1); // the dummy path runs a real verification
        verify.mockClear();
        dummy.mockClear();
        await login('alice', 'guess');
        expect(dummy).not.toHaveBeenCalled();
        expect(verify).toHaveBeenCalledTimes(1);
      } finally {
        verify.mockRestore();
        dummy.mockRestore();
      }
      // Not a speed assertion: both paths hash, so neither is a small fraction of the other.
      const median = async (username: string) => {
        const times: number[] = [];
        for (let i = 0; i < 7; i++) {
          const t = performance.now();
          await login(username, `guess-${i}`);
          times.push(performance.now() - t);
        }
        return times.sort((a, b) => a - b)[3];
      };
      const wrongMs = await median('alice');
      const unknownMs = await median('nobody-by-this-name');
      expect(unknownMs).toBeGreaterThan(wrongMs / 4);
      expect(wrongMs).toBeGreaterThan(unknownMs / 4);
    });

    it('refuses a disabled user with the same message and ends its sessions', async () => {
      const headers = await adminHeaders();
      const user = await postJson(gw.url, '/admin/users', { username: 'bob', password: 'bob-password-long', role: 'client', client_id: 'bobco' }, headers);
      const session = await login('bob', 'bob-password-long');
      const disabled = await call(gw.url, 'DELETE', `/admin/users/${user.body.id as string}`, headers);
      expect(disabled.status).toBe(200);
      expect(disabled.body.disabled_at).toEqual(expect.any(String));
      expect((await login('bob', 'bob-password-long')).body).toEqual({ code: 'invalid_credentials', detail: 'Incorrect username or password' });
      expect((await submitChat(gw.url, chatBody('x'), bearer(session.body.access_token as string))).status).toBe(401);
      expect((await postForm(gw.url, '/auth/refresh', { refresh_token: session.body.refresh_token as string })).status).toBe(401);
    });

    it.each<[string, () => Promise<HttpResult>, number, string]>([
      ['missing password', () => postJson(gw.url, '/api/auth/login', { username: 'alice' }), 400, 'invalid_request'],
      ['empty form', () => postForm(gw.url, '/auth/token', {}), 400, 'invalid_request'],
      ['password not a string', () => postJson(gw.url, '/api/auth/login', { username: 'alice', password: 123 }), 400, 'invalid_request'],
      ['invalid JSON', () => call(gw.url, 'POST', '/api/auth/login', { 'content-type': 'application/json' }).then(() => postRaw('/api/auth/login', '{"username":')), 400, 'invalid_json'],
      ['a form body on /api/chat', () => postForm(gw.url, '/api/chat', { model: 'gemma' }, stack.auth('acme')), 415, 'unsupported_media_type'],
    ])('bad input: %s', async (_name, send, status, code) => {
      const res = await send();
      expect(res.status).toBe(status);
      expect(res.body.code).toBe(code);
    });

    async function postRaw(path: string, body: string): Promise<HttpResult> {
      const res = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
    }
  });

  describe('refresh and logout', () => {
    it('rotates the refresh token; reusing the old one revokes the whole session', async () => {
      const first = await login('alice', clientPassword);
      const rotated = await postForm(gw.url, '/auth/refresh', { refresh_token: first.body.refresh_token as string });
      expect(rotated.status).toBe(200);
      expect(rotated.body.refresh_token).not.toBe(first.body.refresh_token);
      expect(rotated.body.access_token).not.toBe(first.body.access_token);
      expect((await submitChat(gw.url, chatBody('after refresh'), bearer(rotated.body.access_token as string))).status).toBe(202);

      // The old token again: a replay. Refused, and the session (new tokens included) ends.
      const replay = await postJson(gw.url, '/auth/refresh', { refresh_token: first.body.refresh_token });
      expect(replay.status).toBe(401);
      expect(replay.body).toEqual({ code: 'invalid_refresh_token', detail: 'Invalid refresh token' });
      expect((await postJson(gw.url, '/auth/refresh', { refresh_token: rotated.body.refresh_token })).status).toBe(401);
      const revoked = await submitChat(gw.url, chatBody('x'), bearer(rotated.body.access_token as string));
      expect(revoked.status).toBe(401);
      expect(revoked.body).toEqual({ code: 'unauthorized', detail: 'Invalid token' });
    });

    it('logout revokes the refresh token and the session\'s access tokens', async () => {
      const session = await login('alice', clientPassword);
      const out = await fetch(`${gw.url}/auth/logout`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: session.body.refresh_token }) });
      expect(out.status).toBe(204);
      expect((await postJson(gw.url, '/auth/refresh', { refresh_token: session.body.refresh_token })).status).toBe(401);
      expect((await submitChat(gw.url, chatBody('x'), bearer(session.body.access_token as string))).status).toBe(401);
    });

    it('refuses an expired refresh token with 401 invalid_refresh_token, without ending the session', async () => {
      const session = await login('alice', clientPassword);
      const refresh = session.body.refresh_token as string;
      const expired = await stack.pg.query("UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1", [hashSecret(refresh)]);
      expect(expired.rowCount).toBe(1);
      const res = await postForm(gw.url, '/auth/refresh', { refresh_token: refresh });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ code: 'invalid_refresh_token', detail: 'Invalid refresh token' });
      // Not a replay: the token stays unused and its session's access token keeps working.
      const { rows } = await stack.pg.query('SELECT used_at, revoked_at FROM refresh_tokens WHERE token_hash = $1', [hashSecret(refresh)]);
      expect(rows[0]).toEqual({ used_at: null, revoked_at: null });
      expect((await submitChat(gw.url, chatBody('expired refresh, live access'), bearer(session.body.access_token as string))).status).toBe(202);
    });

    it('refuses unknown and malformed refresh tokens with 401 and a missing one with 400', async () => {
      expect((await postJson(gw.url, '/auth/refresh', { refresh_token: 'grt_made-up' })).body.code).toBe('invalid_refresh_token');
      expect((await postJson(gw.url, '/auth/refresh', { refresh_token: 'eyJhbGciOi.x.y' })).body.code).toBe('invalid_refresh_token');
      expect((await postJson(gw.url, '/auth/refresh', {})).status).toBe(400);
    });
  });

  describe('access tokens', () => {
    const sign = (header: object, payload: object, secret: string) => {
      const b = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const body = `${b(header)}.${b(payload)}`;
      return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
    };
    const claims = () => ({ iss: 'gantry', typ: 'access', sub: 'u1', role: 'admin', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600 });

    it('needs a credential on /api/chat and /api/jobs, not on /health', async () => {
      const submit = await submitChat(gw.url, chatBody('x'), {});
      expect(submit.status).toBe(401);
      expect(submit.body).toEqual({ code: 'unauthorized', detail: 'Not authenticated' });
      const poll = await getJob(gw.url, '00000000-0000-4000-8000-000000000000', { 'x-client-id': 'acme' });
      expect(poll.status).toBe(401);
      expect((await fetch(`${gw.url}/health`)).status).toBe(200);
    });

    it('refuses an expired token', async () => {
      const res = await submitChat(gw.url, chatBody('x'), bearer(stack.accessToken({ clientId: 'acme', expiresIn: -5 })));
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ code: 'unauthorized', detail: 'Token expired' });
    });

    it.each<[string, () => string]>([
      ['signed with another secret', () => sign({ alg: 'HS256', typ: 'JWT' }, claims(), 'x'.repeat(64))],
      ['alg none', () => `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}.`],
      ['payload changed after signing', () => {
        const [h, , s] = stack.accessToken({ clientId: 'acme' }).split('.');
        return `${h}.${Buffer.from(JSON.stringify({ ...claims(), role: 'admin' })).toString('base64url')}.${s}`;
      }],
      ['garbage', () => 'not-a-token'],
    ])('refuses a token %s', async (_name, token) => {
      const res = await call(gw.url, 'GET', '/admin/users', bearer(token()));
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ code: 'unauthorized', detail: 'Invalid token' });
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    });

    it('refuses another Authorization scheme', async () => {
      const res = await call(gw.url, 'GET', '/admin/users', { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('unauthorized');
    });
  });
});

/** The first admin as a deployment gets it (docker-compose: NODE_ENV=production, the variables set). */
describe('first admin from GANTRY_ADMIN_USER / GANTRY_ADMIN_PASSWORD on a fresh schema', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await createStack();
  });
  afterAll(() => stack?.stop());

  it('boots with empty variables (compose without them) and creates nobody', async () => {
    const gw = await stack.startGateway({ NODE_ENV: 'production', GANTRY_ADMIN_USER: '', GANTRY_ADMIN_PASSWORD: '' });
    expect(gw.firstAdmin).toBeNull();
    expect((await stack.pg.query('SELECT count(*)::int AS n FROM users')).rows[0].n).toBe(0);
    await gw.close();
  });

  it('creates that admin when no user exists, and its login works', async () => {
    const gw = await stack.startGateway({ NODE_ENV: 'production', GANTRY_ADMIN_USER: 'ops-root', GANTRY_ADMIN_PASSWORD: 'compose-admin-password' });
    // Nothing generated, nothing printed: the operator chose the password.
    expect(gw.firstAdmin).toBeNull();
    const { rows } = await stack.pg.query('SELECT username, role, client_id FROM users');
    expect(rows).toEqual([{ username: 'ops-root', role: 'admin', client_id: null }]);
    const res = await postForm(gw.url, '/auth/token', { username: 'ops-root', password: 'compose-admin-password' });
    expect(res.status).toBe(200);
    expect(res.body.token_type).toBe('bearer');
    // The token carries the admin role.
    expect((await call(gw.url, 'GET', '/admin/users', bearer(res.body.access_token as string))).status).toBe(200);
    expect((await postForm(gw.url, '/auth/token', { username: 'ops-root', password: 'wrong-password-x' })).status).toBe(401);
  });
});
