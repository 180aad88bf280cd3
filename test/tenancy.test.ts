import type { RunningGateway } from '../apps/gateway/src/gateway.bootstrap';
import { chatBody, createStack, submitChat, type TestStack } from './support/stack';
import { call, type HttpResult } from './support/http';

/**
 * Tenancy: a client sees only its own jobs. Another tenant's request_id answers exactly like an
 * unknown one on every tenant-owned route. Add each new tenant-owned route to TENANT_ROUTES.
 */
describe('tenancy', () => {
  let stack: TestStack;
  let gw: RunningGateway;
  let ownerJob: string;
  const UNKNOWN = '00000000-0000-4000-8000-000000000000';

  beforeAll(async () => {
    stack = await createStack();
    gw = await stack.startGateway();
    // No worker: the job stays queued, so a wrongly accepted cancel would show.
    await stack.startRecorder();
    const res = await submitChat(gw.url, chatBody('owned by acme'), stack.auth('acme'));
    expect(res.status).toBe(202);
    ownerJob = res.body.request_id as string;
  });
  afterAll(() => stack?.stop());

  /** [name, request for job `id` with `headers`, status the owner gets]. */
  const TENANT_ROUTES: Array<[string, (id: string, headers: Record<string, string>) => Promise<HttpResult>, number]> = [
    ['GET /api/jobs/{id}', (id, h) => call(gw.url, 'GET', `/api/jobs/${id}`, h), 200],
    ['GET /api/jobs/{id}?wait=1', (id, h) => call(gw.url, 'GET', `/api/jobs/${id}?wait=1`, h), 200],
    ['GET /api/jobs/{id}/events', (id, h) => sseStatus(id, h), 200],
    ['POST /api/jobs/{id}/cancel', (id, h) => call(gw.url, 'POST', `/api/jobs/${id}/cancel`, h), 202],
  ];

  /** Opens the SSE stream and closes it at once: only the status and an error body matter. */
  async function sseStatus(id: string, headers: Record<string, string>): Promise<HttpResult> {
    const ctrl = new AbortController();
    const res = await fetch(`${gw.url}/api/jobs/${id}/events`, { headers, signal: ctrl.signal });
    const body = res.headers.get('content-type')?.includes('json') ? ((await res.json()) as Record<string, unknown>) : {};
    ctrl.abort();
    return { status: res.status, headers: res.headers, body };
  }

  it.each(TENANT_ROUTES)('%s: another tenant gets the same 404 as for an unknown id', async (_name, send) => {
    const other = await send(ownerJob, stack.auth('intruder'));
    const unknown = await send(UNKNOWN, stack.auth('intruder'));
    expect(other.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(other.body.code).toBe(unknown.body.code);
    expect(other.body.detail).toBe(String(unknown.body.detail).replace(UNKNOWN, ownerJob));
    const still = await call(gw.url, 'GET', `/api/jobs/${ownerJob}`, stack.auth('acme'));
    expect(still.body.status).toBe('queued');
  });

  it.each(TENANT_ROUTES)('%s: naming another client in X-Client-ID is 403 client_mismatch', async (_name, send) => {
    const res = await send(ownerJob, stack.auth('intruder', { 'x-client-id': 'acme' }));
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('client_mismatch');
  });

  it.each(TENANT_ROUTES)('%s: needs a credential', async (_name, send) => {
    const res = await send(ownerJob, { 'x-client-id': 'acme' });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('unauthorized');
  });

  it.each(TENANT_ROUTES.filter(([name]) => !name.includes('cancel')))('%s: the owner and an admin get it', async (_name, send, ok) => {
    expect((await send(ownerJob, stack.auth('acme'))).status).toBe(ok);
    expect((await send(ownerJob, stack.adminAuth())).status).toBe(ok);
  });

  it('the owner may cancel its own job (last: it ends the job)', async () => {
    const res = await call(gw.url, 'POST', `/api/jobs/${ownerJob}/cancel`, stack.auth('acme'));
    expect(res.status).toBe(202);
  });
});
