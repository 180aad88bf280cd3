import { RequestMethod } from '@nestjs/common';
import { PATH_METADATA, METHOD_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import type { RunningGateway } from '../apps/gateway/src/gateway.bootstrap';
import { chatBody, createStack, getJob, submitChat, waitTerminal, type TestStack } from './support/stack';
import { call, postJson } from './support/http';

/** Every `METHOD /path` the gateway serves, read from the controllers' Nest metadata. */
function routesOf(gw: RunningGateway): Array<{ method: string; path: string }> {
  const routes: Array<{ method: string; path: string }> = [];
  for (const mod of gw.app.get(ModulesContainer).values()) {
    for (const wrapper of mod.controllers.values()) {
      const ctrl = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (!ctrl) continue;
      const base = String(Reflect.getMetadata(PATH_METADATA, ctrl) ?? '');
      for (const name of Object.getOwnPropertyNames(ctrl.prototype)) {
        // Descriptors, not property reads: a getter on the prototype would run without an instance.
        const handler: unknown = Object.getOwnPropertyDescriptor(ctrl.prototype, name)?.value;
        if (name === 'constructor' || typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
        const sub = String(Reflect.getMetadata(PATH_METADATA, handler));
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
        const path = `/${[base, sub].filter((p) => p && p !== '/').join('/')}`.replace(/\/+/g, '/').replace(/:[a-z_]+/gi, '00000000-0000-4000-8000-000000000000');
        routes.push({ method, path });
      }
    }
  }
  return routes;
}

/** API keys (admin routes, the three headers, revocation) and the admin role. */
describe('API keys and admin routes', () => {
  let stack: TestStack;
  let gw: RunningGateway;

  beforeAll(async () => {
    stack = await createStack();
    gw = await stack.startGateway();
    await Promise.all([stack.startWorker(), stack.startRecorder()]);
  });
  afterAll(() => stack?.stop());

  const createKey = (body: Record<string, unknown>) => postJson(gw.url, '/admin/api-keys', body, stack.adminAuth());

  describe('admin role', () => {
    // Listed by hand so a reader sees them; the discovered list below catches any route added later.
    // (Each row has its three entries: jest reads a two-argument table row as a `done` callback test.)
    const ADMIN_ROUTES: Array<[string, string, unknown]> = [
      ['POST', '/admin/api-keys', { client_id: 'x', service_name: 'y' }],
      ['GET', '/admin/api-keys', undefined],
      ['DELETE', '/admin/api-keys/00000000-0000-4000-8000-000000000000', undefined],
      ['POST', '/admin/users', { username: 'evil', password: 'evil-password-1', role: 'admin' }],
      ['GET', '/admin/users', undefined],
      ['DELETE', '/admin/users/00000000-0000-4000-8000-000000000000', undefined],
    ];

    it.each(ADMIN_ROUTES)('%s %s is refused to a client (403) and to nobody (401)', async (method, path, body) => {
      const asClient = await call(gw.url, method, path, stack.auth('acme'), body);
      expect(asClient.status).toBe(403);
      expect(asClient.body).toEqual({ code: 'forbidden', detail: 'Admin role required' });
      const { key } = (await createKey({ client_id: 'acme', service_name: 'svc' })).body as { key: string };
      expect((await call(gw.url, method, path, { 'x-api-key': key }, body)).status).toBe(403);
      expect((await call(gw.url, method, path, {}, body)).status).toBe(401);
      expect((await stack.pg.query("SELECT count(*)::int AS n FROM users WHERE username = 'evil'")).rows[0].n).toBe(0);
    });

    it('every /admin route the gateway serves (read from its controllers, so later ones count too) refuses a client', async () => {
      const discovered = routesOf(gw).filter((r) => r.path.startsWith('/admin'));
      for (const [method, path] of ADMIN_ROUTES) expect(discovered).toContainEqual({ method, path });
      for (const { method, path } of discovered) {
        const res = await call(gw.url, method, path, stack.auth('acme'), ['POST', 'PUT', 'PATCH'].includes(method) ? {} : undefined);
        expect({ method, path, status: res.status }).toEqual({ method, path, status: 403 });
      }
    });
  });

  describe('keys', () => {
    it('is shown once at creation, stored as a SHA-256 hash, and listed without the secret', async () => {
      const created = await createKey({ client_id: 'svc-client', service_name: 'billing', rate_limit_rpm: 120 });
      expect(created.status).toBe(201);
      const key = created.body.key as string;
      expect(key).toMatch(/^gk_[A-Za-z0-9_-]{43}$/);
      expect(created.body).toMatchObject({ client_id: 'svc-client', service_name: 'billing', rate_limit_rpm: 120, prefix: key.slice(0, 11), revoked_at: null });
      const { rows } = await stack.pg.query('SELECT key_hash FROM api_keys WHERE id = $1', [created.body.id]);
      expect(rows[0].key_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(rows[0].key_hash).not.toContain(key.slice(3));
      const list = await call(gw.url, 'GET', '/admin/api-keys?client_id=svc-client', stack.adminAuth());
      expect(list.status).toBe(200);
      const listed = list.body.data as Array<Record<string, unknown>>;
      expect(listed.map((k) => k.id)).toEqual([created.body.id]);
      expect(JSON.stringify(list.body)).not.toContain(key);
    });

    it.each<[string, (key: string) => Record<string, string>]>([
      ['Authorization: Bearer', (key: string) => ({ authorization: `Bearer ${key}` })],
      ['x-api-key', (key: string) => ({ 'x-api-key': key })],
      ['X-Service-Key', (key: string) => ({ 'X-Service-Key': key })],
    ])('is accepted in %s, and the job belongs to the key\'s client', async (_name, header) => {
      const { key } = (await createKey({ client_id: 'keyed', service_name: 'svc' })).body as { key: string };
      const res = await submitChat(gw.url, chatBody('via key'), header(key));
      expect(res.status).toBe(202);
      const done = await waitTerminal(gw.url, res.body.request_id as string, 30_000, header(key));
      expect(done).toMatchObject({ status: 'succeeded', client_id: 'keyed' });
    });

    it('is refused at once when revoked, and revoking twice keeps the first time', async () => {
      const created = await createKey({ client_id: 'keyed', service_name: 'old' });
      const key = created.body.key as string;
      expect((await submitChat(gw.url, chatBody('before'), { 'x-api-key': key })).status).toBe(202);
      const revoked = await call(gw.url, 'DELETE', `/admin/api-keys/${created.body.id as string}`, stack.adminAuth());
      expect(revoked.status).toBe(200);
      expect(revoked.body.revoked_at).toEqual(expect.any(String));
      const sends: Array<Record<string, string>> = [{ 'x-api-key': key }, { authorization: `Bearer ${key}` }, { 'x-service-key': key }];
      for (const headers of sends) {
        const res = await submitChat(gw.url, chatBody('after'), headers);
        expect(res.status).toBe(401);
        expect(res.body).toEqual({ code: 'unauthorized', detail: 'Invalid API key' });
      }
      const again = await call(gw.url, 'DELETE', `/admin/api-keys/${created.body.id as string}`, stack.adminAuth());
      expect(again.body.revoked_at).toBe(revoked.body.revoked_at);
    });

    it('refuses an unknown key, and two different credentials in one request', async () => {
      expect((await submitChat(gw.url, chatBody('x'), { 'x-api-key': 'gk_unknown' })).status).toBe(401);
      const { key } = (await createKey({ client_id: 'keyed', service_name: 'svc' })).body as { key: string };
      const res = await submitChat(gw.url, chatBody('x'), { 'x-api-key': key, authorization: `Bearer ${stack.accessToken({ clientId: 'keyed' })}` });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('unauthorized');
    });

    it('may not act for another client (X-Client-ID mismatch is 403)', async () => {
      const { key } = (await createKey({ client_id: 'keyed', service_name: 'svc' })).body as { key: string };
      const res = await submitChat(gw.url, chatBody('x'), { 'x-api-key': key, 'x-client-id': 'someone-else' });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('client_mismatch');
      expect((await submitChat(gw.url, chatBody('x'), { 'x-api-key': key, 'x-client-id': 'keyed' })).status).toBe(202);
    });

    it('limits the models a key may use (403 model_not_allowed), aliases included', async () => {
      const { body } = await createKey({ client_id: 'keyed', service_name: 'ocr-only', allowed_models: ['deepseek-ocr'] });
      expect(body.allowed_models).toEqual(['deepseek-ai/DeepSeek-OCR']);
      const refused = await submitChat(gw.url, chatBody('x'), { 'x-api-key': body.key as string });
      expect(refused.status).toBe(403);
      expect(refused.body).toEqual({ code: 'model_not_allowed', detail: 'Model gemma-3-4b-it is not allowed for this credential' });
      const gemma = await createKey({ client_id: 'keyed', service_name: 'chat', allowed_models: ['gemma'] });
      expect((await submitChat(gw.url, chatBody('x', { model: 'google/gemma-3-4b-it' }), { 'x-api-key': gemma.body.key as string })).status).toBe(202);
    });

    it.each<[string, Record<string, unknown>, number, string]>([
      ['missing client_id', { service_name: 'svc' }, 400, 'invalid_request'],
      ['bad client_id', { client_id: 'a b', service_name: 'svc' }, 400, 'invalid_request'],
      ['missing service_name', { client_id: 'c' }, 400, 'invalid_request'],
      ['negative rate limit', { client_id: 'c', service_name: 's', rate_limit_rpm: -1 }, 400, 'invalid_request'],
      ['unknown model', { client_id: 'c', service_name: 's', allowed_models: ['gpt-4'] }, 400, 'invalid_request'],
      ['empty model list', { client_id: 'c', service_name: 's', allowed_models: [] }, 400, 'invalid_request'],
    ])('bad create input: %s → nothing created', async (_name, body, status, code) => {
      const before = (await stack.pg.query('SELECT count(*)::int AS n FROM api_keys')).rows[0].n;
      const res = await createKey(body);
      expect(res.status).toBe(status);
      expect(res.body.code).toBe(code);
      expect((await stack.pg.query('SELECT count(*)::int AS n FROM api_keys')).rows[0].n).toBe(before);
    });

    it('answers 404 for an unknown key id, 400 for a malformed one or client filter', async () => {
      expect((await call(gw.url, 'DELETE', '/admin/api-keys/00000000-0000-4000-8000-000000000000', stack.adminAuth())).body.code).toBe('api_key_not_found');
      expect((await call(gw.url, 'DELETE', '/admin/api-keys/nope', stack.adminAuth())).status).toBe(400);
      expect((await call(gw.url, 'GET', '/admin/api-keys?client_id=a%20b', stack.adminAuth())).body.code).toBe('invalid_client_id');
    });
  });

  describe('users (admin)', () => {
    it('creates, lists and refuses duplicates whatever their case (409), never showing hashes', async () => {
      const made = await postJson(gw.url, '/admin/users', { username: 'Carol', password: 'carol-password-1', role: 'client', client_id: 'carolco' }, stack.adminAuth());
      expect(made.status).toBe(201);
      expect(made.body).toMatchObject({ username: 'Carol', role: 'client', client_id: 'carolco', disabled_at: null });
      const dup = await postJson(gw.url, '/admin/users', { username: 'carol', password: 'carol-password-2', role: 'client', client_id: 'x' }, stack.adminAuth());
      expect(dup.status).toBe(409);
      expect(dup.body.code).toBe('user_exists');
      const list = await call(gw.url, 'GET', '/admin/users', stack.adminAuth());
      expect((list.body.data as Array<{ username: string }>).map((u) => u.username)).toContain('Carol');
      expect(JSON.stringify(list.body)).not.toContain('argon2');
    });

    it.each<[string, Record<string, unknown>]>([
      ['short password', { username: 'dave', password: 'short', role: 'client', client_id: 'd' }],
      ['client without client_id', { username: 'dave', password: 'dave-password-1', role: 'client' }],
      ['unknown role', { username: 'dave', password: 'dave-password-1', role: 'root' }],
      ['bad username', { username: 'da ve', password: 'dave-password-1', role: 'admin' }],
    ])('bad user input: %s → 400, nothing created', async (_name, body) => {
      const res = await postJson(gw.url, '/admin/users', body, stack.adminAuth());
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('invalid_request');
      expect((await stack.pg.query("SELECT count(*)::int AS n FROM users WHERE lower(username) LIKE 'da%'")).rows[0].n).toBe(0);
    });

    it('answers 404 user_not_found for an unknown user id', async () => {
      const res = await call(gw.url, 'DELETE', '/admin/users/00000000-0000-4000-8000-000000000000', stack.adminAuth());
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('user_not_found');
    });
  });

  it('an admin sees every client\'s job, or one client\'s with X-Client-ID', async () => {
    const { body } = await submitChat(gw.url, chatBody('tenant job'), stack.auth('tenant-a'));
    const id = body.request_id as string;
    expect((await getJob(gw.url, id, stack.adminAuth())).status).toBe(200);
    expect((await getJob(gw.url, id, stack.adminAuth({ 'x-client-id': 'tenant-a' }))).status).toBe(200);
    expect((await getJob(gw.url, id, stack.adminAuth({ 'x-client-id': 'tenant-b' }))).status).toBe(404);
  });
});
