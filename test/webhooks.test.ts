import { randomUUID } from 'node:crypto';
import type { RunningGateway } from '../apps/gateway/src/gateway.bootstrap';
import { Receiver, verifiedDelivery as verified } from './support/receiver';
import { chatBody, createStack, submitChat, waitFor, waitTerminal, type TestStack } from './support/stack';

async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

describe('signed webhooks', () => {
  let stack: TestStack;
  let gw: RunningGateway;
  let strict: RunningGateway;
  const rx = new Receiver();
  const who = (client = 'hooks') => stack.auth(client, { 'content-type': 'application/json' });

  beforeAll(async () => {
    await rx.start();
    stack = await createStack({ env: { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' } });
    gw = await stack.startGateway();
    // The same API without the development allow-list: the production SSRF policy.
    strict = await stack.startGateway({ WEBHOOK_ALLOWED_HOSTS: '' });
    await Promise.all([stack.startWorker(), stack.startRecorder(), stack.startWebhooks()]);
  });
  afterAll(async () => {
    await stack?.stop();
    await rx.close();
  });

  async function createEndpoint(path: string, client = 'hooks'): Promise<{ id: string; secret: string }> {
    const res = await fetch(`${gw.url}/api/webhooks/endpoints`, { method: 'POST', headers: who(client), body: JSON.stringify({ url: `${rx.url}${path}` }) });
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string; secret: string };
  }
  async function deliveries(requestId: string, client = 'hooks') {
    const res = await fetch(`${gw.url}/api/webhooks/deliveries?request_id=${requestId}`, { headers: who(client) });
    return ((await res.json()) as { data: Array<Record<string, unknown>> }).data;
  }

  it('calls a per-job webhook on completion, signed with the client secret', async () => {
    const { secret } = (await json(await fetch(`${gw.url}/api/webhooks/secret`, { headers: who() }))) as { secret: string };
    expect(secret).toMatch(/^whsec_/);
    const { status, body } = await submitChat(gw.url, chatBody('hook me', { webhook: `${rx.url}/job-hook` }), who());
    expect(status).toBe(202);
    await waitFor(async () => rx.at('/job-hook').length >= 1, 'the job webhook');
    const event = verified(secret, rx.at('/job-hook')[0]);
    expect(event.type).toBe('job.completed');
    expect(event.data).toMatchObject({ request_id: body.request_id, status: 'succeeded' });
    // Only `completed` by default: no started event came.
    expect(rx.at('/job-hook')).toHaveLength(1);
  });

  it('honours webhook_events_filter (started and completed)', async () => {
    const { body } = await submitChat(gw.url, chatBody('hook both', { webhook: `${rx.url}/both`, webhook_events_filter: ['started', 'completed'] }), who());
    await waitFor(async () => rx.at('/both').length >= 2, 'both events');
    const types = rx.at('/both').map((r) => JSON.parse(r.body).type);
    expect(types.sort()).toEqual(['job.completed', 'job.started']);
    expect(rx.at('/both').every((r) => JSON.parse(r.body).data.request_id === body.request_id)).toBe(true);
  });

  it('delivers every event of a client\'s jobs to its registered endpoints, and none of other clients', async () => {
    const ep = await createEndpoint('/endpoint-a', 'tenant-a');
    const { body } = await submitChat(gw.url, chatBody('for tenant a'), who('tenant-a'));
    const other = await submitChat(gw.url, chatBody('for tenant b'), who('tenant-b'));
    await waitTerminal(gw.url, other.body.request_id as string);
    await waitFor(async () => rx.at('/endpoint-a').length >= 2, 'the endpoint events');
    const events = rx.at('/endpoint-a').map((r) => verified(ep.secret, r));
    // Deliveries run concurrently: receivers order them by `data.status`/`timestamp`, not arrival.
    expect(events.map((e) => e.type).sort()).toEqual(['job.completed', 'job.started']);
    expect(events.every((e) => e.data.request_id === body.request_id)).toBe(true);
    const list = (await json(await fetch(`${gw.url}/api/webhooks/endpoints`, { headers: who('tenant-a') }))) as { data: Array<Record<string, unknown>> };
    expect(list.data).toEqual([expect.objectContaining({ id: ep.id, status: 'active' })]);
    expect(JSON.stringify(list)).not.toContain(ep.secret);
  });

  it('retries after a 500 with the same webhook-id, and records every attempt', async () => {
    rx.on('/flaky', (_r, res, n) => res.writeHead(n === 1 ? 500 : 200).end());
    const { body } = await submitChat(gw.url, chatBody('flaky receiver', { webhook: `${rx.url}/flaky` }), who());
    await waitFor(async () => rx.at('/flaky').length >= 2, 'the retry', 30_000);
    const [first, second] = rx.at('/flaky');
    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
    // The retry waited for the 5 s tier (with jitter), through the delay topic.
    expect(second.at - first.at).toBeGreaterThanOrEqual(4_000);
    await waitFor(async () => (await deliveries(body.request_id as string)).some((d) => d.outcome === 'delivered'), 'the delivered record');
    const log = (await deliveries(body.request_id as string)).reverse();
    expect(log.map((d) => [d.attempt, d.outcome, d.response_status])).toEqual([
      [1, 'retrying', 500],
      [2, 'delivered', 200],
    ]);
    // Attempts are counted in Prometheus too (one registry per process; the apps share it here).
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/gantry_webhook_deliveries_total\{outcome="retrying"\} [1-9]/);
  });

  it('does not follow a redirect', async () => {
    rx.on('/moved', (_r, res) => res.writeHead(302, { location: `${rx.url}/redirect-target` }).end());
    const { body } = await submitChat(gw.url, chatBody('redirected receiver', { webhook: `${rx.url}/moved` }), who());
    await waitFor(async () => (await deliveries(body.request_id as string)).length >= 1, 'the attempt');
    const [attempt] = await deliveries(body.request_id as string);
    expect(attempt).toMatchObject({ outcome: 'retrying', response_status: 302 });
    expect(String(attempt.error)).toContain('redirects are not followed');
    expect(rx.at('/redirect-target')).toHaveLength(0);
  });

  it('disables an endpoint that answers 410 Gone', async () => {
    rx.on('/gone', (_r, res) => res.writeHead(410).end());
    const ep = await createEndpoint('/gone', 'tenant-gone');
    const { body } = await submitChat(gw.url, chatBody('to a gone endpoint'), who('tenant-gone'));
    await waitTerminal(gw.url, body.request_id as string);
    await waitFor(async () => (await deliveries(body.request_id as string, 'tenant-gone')).some((d) => d.outcome === 'endpoint_disabled'), 'the endpoint to be disabled');
    const list = (await json(await fetch(`${gw.url}/api/webhooks/endpoints`, { headers: who('tenant-gone') }))) as { data: Array<Record<string, unknown>> };
    expect(list.data.find((e) => e.id === ep.id)).toMatchObject({ status: 'disabled' });
    // Later jobs no longer call it.
    const calls = rx.at('/gone').length;
    const later = await submitChat(gw.url, chatBody('after disable'), who('tenant-gone'));
    await waitTerminal(gw.url, later.body.request_id as string);
    await new Promise((r) => setTimeout(r, 500));
    expect(rx.at('/gone')).toHaveLength(calls);
  });

  it('signs with both secrets during a rotation', async () => {
    const ep = await createEndpoint('/rotating', 'tenant-rot');
    const rotated = (await json(await fetch(`${gw.url}/api/webhooks/endpoints/${ep.id}/rotate-secret`, { method: 'POST', headers: who('tenant-rot') }))) as { secret: string };
    expect(rotated.secret).not.toBe(ep.secret);
    await submitChat(gw.url, chatBody('during rotation'), who('tenant-rot'));
    await waitFor(async () => rx.at('/rotating').length >= 1, 'a delivery');
    const r = rx.at('/rotating')[0];
    expect(String(r.headers['webhook-signature']).split(' ')).toHaveLength(2);
    const type = JSON.parse(r.body).type;
    expect(verified(ep.secret, r).type).toBe(type);
    expect(verified(rotated.secret, r).type).toBe(type);
  });

  it('replays a delivery with the same webhook-id', async () => {
    const { body } = await submitChat(gw.url, chatBody('replay me', { webhook: `${rx.url}/replay` }), who());
    await waitFor(async () => rx.at('/replay').length >= 1, 'the first delivery');
    const id = String(rx.at('/replay')[0].headers['webhook-id']);
    const res = await fetch(`${gw.url}/api/webhooks/deliveries/${id}/replay`, { method: 'POST', headers: who() });
    expect(res.status).toBe(202);
    await waitFor(async () => rx.at('/replay').length >= 2, 'the replay');
    expect(rx.at('/replay')[1].headers['webhook-id']).toBe(id);
    expect(JSON.parse(rx.at('/replay')[1].body).data.request_id).toBe(body.request_id);
    // Another tenant cannot replay it.
    expect((await fetch(`${gw.url}/api/webhooks/deliveries/${id}/replay`, { method: 'POST', headers: who('intruder') })).status).toBe(404);
  });

  describe('tenant isolation of webhook routes', () => {
    /** Status and body, with the id in the message made neutral so two ids can be compared. */
    async function answer(res: Response, id: string) {
      return { status: res.status, body: JSON.parse((await res.text()).split(id).join('<id>')) as Record<string, unknown> };
    }

    it('answers another tenant 404 on an endpoint it does not own, exactly as for an unknown id, and changes nothing', async () => {
      const ep = await createEndpoint('/acme-owned', 'acme');
      const unknown = randomUUID();
      for (const [method, suffix] of [['DELETE', ''], ['POST', '/rotate-secret']]) {
        const foreign = await answer(await fetch(`${gw.url}/api/webhooks/endpoints/${ep.id}${suffix}`, { method, headers: stack.auth('globex') }), ep.id);
        const missing = await answer(await fetch(`${gw.url}/api/webhooks/endpoints/${unknown}${suffix}`, { method, headers: stack.auth('globex') }), unknown);
        expect(foreign).toEqual({ status: 404, body: { code: 'webhook_endpoint_not_found', detail: 'Webhook endpoint <id> not found' } });
        expect(foreign).toEqual(missing);
      }
      // Neither deleted nor rotated: acme's next event is signed with the original secret alone.
      await submitChat(gw.url, chatBody('acme after the intrusion'), who('acme'));
      await waitFor(async () => rx.at('/acme-owned').length >= 1, 'a delivery to acme');
      const r = rx.at('/acme-owned')[0];
      expect(String(r.headers['webhook-signature']).split(' ')).toHaveLength(1);
      expect(verified(ep.secret, r).data.client_id).toBe('acme');
    });

    it('shows another tenant no deliveries of a job it does not own, the same as for an unknown job', async () => {
      await createEndpoint('/acme-log', 'acme-log');
      const { body } = await submitChat(gw.url, chatBody('acme job with deliveries'), who('acme-log'));
      const id = body.request_id as string;
      await waitFor(async () => (await deliveries(id, 'acme-log')).length >= 1, 'acme to see its deliveries');
      const foreign = await fetch(`${gw.url}/api/webhooks/deliveries?request_id=${id}`, { headers: stack.auth('globex') });
      const missing = await fetch(`${gw.url}/api/webhooks/deliveries?request_id=${randomUUID()}`, { headers: stack.auth('globex') });
      expect([foreign.status, await foreign.json()]).toEqual([200, { data: [] }]);
      expect([missing.status, await missing.json()]).toEqual([200, { data: [] }]);
    });

    it('lists only the calling tenant\'s endpoints when two tenants have some', async () => {
      const a = await createEndpoint('/list-a', 'lister-a');
      const b1 = await createEndpoint('/list-b1', 'lister-b');
      const b2 = await createEndpoint('/list-b2', 'lister-b');
      const list = async (client: string) => ((await json(await fetch(`${gw.url}/api/webhooks/endpoints`, { headers: stack.auth(client) }))) as { data: Array<{ id: string }> }).data.map((e) => e.id).sort();
      expect(await list('lister-a')).toEqual([a.id]);
      expect(await list('lister-b')).toEqual([b1.id, b2.id].sort());
    });

    it('deleting an endpoint stops its deliveries', async () => {
      const gone = await createEndpoint('/deleted', 'tenant-del');
      const kept = await createEndpoint('/kept', 'tenant-del');
      const del = await fetch(`${gw.url}/api/webhooks/endpoints/${gone.id}`, { method: 'DELETE', headers: stack.auth('tenant-del') });
      expect(del.status).toBe(204);
      // A second delete finds nothing.
      expect((await fetch(`${gw.url}/api/webhooks/endpoints/${gone.id}`, { method: 'DELETE', headers: stack.auth('tenant-del') })).status).toBe(404);
      const listed = (await json(await fetch(`${gw.url}/api/webhooks/endpoints`, { headers: stack.auth('tenant-del') }))) as { data: Array<{ id: string }> };
      expect(listed.data.map((e) => e.id)).toEqual([kept.id]);
      const { body } = await submitChat(gw.url, chatBody('after a delete'), who('tenant-del'));
      // The kept endpoint is the witness: once it has both events, the deleted one would have had them too.
      await waitFor(async () => rx.at('/kept').length >= 2, 'the kept endpoint\'s events');
      await new Promise((r) => setTimeout(r, 500));
      expect(rx.at('/deleted')).toHaveLength(0);
      expect((await deliveries(body.request_id as string, 'tenant-del')).some((d) => d.endpoint_id === gone.id)).toBe(false);
    });
  });

  describe('SSRF guard without an allow-list', () => {
    const forbidden = [
      'http://127.0.0.1/hook',
      'http://[::1]/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://2130706433/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://[::127.0.0.1]/hook',
      'http://localhost/hook',
      'http://10.1.2.3/hook',
      'http://0.0.0.0/hook',
    ];
    it.each(forbidden)('refuses %s at registration and at submit', async (url) => {
      const reg = await fetch(`${strict.url}/api/webhooks/endpoints`, { method: 'POST', headers: who(), body: JSON.stringify({ url }) });
      expect(reg.status).toBe(400);
      expect((await json(reg)).code).toBe('webhook_url_forbidden');
      const sub = await submitChat(strict.url, chatBody('x', { webhook: url }), who());
      expect(sub.status).toBe(400);
      expect(['webhook_url_forbidden', 'invalid_request']).toContain(sub.body.code);
    });

    it('refuses non-http schemes and credentials in the URL', async () => {
      for (const url of ['ftp://example.com/x', 'file:///etc/passwd', 'http://user:pw@example.com/x', 'not a url']) {
        const res = await fetch(`${strict.url}/api/webhooks/endpoints`, { method: 'POST', headers: who(), body: JSON.stringify({ url }) });
        expect(res.status).toBe(400);
        expect((await json(res)).code).toBe('webhook_url_invalid');
      }
    });
  });

  it('validates endpoint and delivery requests', async () => {
    expect((await fetch(`${gw.url}/api/webhooks/endpoints`, { method: 'POST', headers: who(), body: JSON.stringify({}) })).status).toBe(400);
    expect((await json(await fetch(`${gw.url}/api/webhooks/endpoints/we_nope`, { method: 'DELETE', headers: who() }))).code).toBe('webhook_endpoint_not_found');
    expect((await json(await fetch(`${gw.url}/api/webhooks/deliveries?limit=0`, { headers: who() }))).code).toBe('invalid_request');
    expect((await json(await fetch(`${gw.url}/api/webhooks/deliveries?request_id=x`, { headers: who() }))).code).toBe('invalid_request_id');
  });
});
