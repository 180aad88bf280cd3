import { Webhook } from 'standardwebhooks';
import { Topics } from '@gantry/contracts';
import type { RunningGateway } from '../apps/gateway/src/gateway.bootstrap';
import { bmp, makePdf, textImage } from './support/ocr-fixtures';
import { Receiver, type Received } from './support/receiver';
import { createStack, getJob, waitFor, type TestStack } from './support/stack';
import { chatLine, parseJsonl } from './support/batches';

type View = Record<string, any>;


function verified(secret: string, r: Received): Record<string, any> {
  const headers = { 'webhook-id': String(r.headers['webhook-id']), 'webhook-timestamp': String(r.headers['webhook-timestamp']), 'webhook-signature': String(r.headers['webhook-signature']) };
  return new Webhook(secret).verify(r.body, headers) as Record<string, any>;
}

/** Gantry's own bulk upload (`/api/batches`), batch webhooks and `jobs.batch_id`. */
describe('/api/batches', () => {
  let stack: TestStack;
  let gw: RunningGateway;
  let strict: RunningGateway;
  const rx = new Receiver();

  beforeAll(async () => {
    await rx.start();
    stack = await createStack({ env: { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', BATCH_SWEEP_INTERVAL_MS: '200' } });
    gw = await stack.startGateway({ BATCH_MAX_LINE_BYTES: '65536' });
    // The production SSRF policy (no allow-list), for the refused-webhook case.
    strict = await stack.startGateway({ WEBHOOK_ALLOWED_HOSTS: '' });
    await Promise.all([
      stack.startWorker(),
      stack.startWorker({ WORKER_POOL: 'deepseek-ocr', OCR_BACKEND_URL: stack.sim.url }),
      stack.startRecorder({ BATCH_EXPAND_CHUNK: '4' }),
      stack.startWebhooks(),
    ]);
  });
  afterAll(async () => {
    await stack?.stop();
    await rx.close();
  });

  function multipart(lines: string[], fields: Record<string, string> = {}, filename = 'in.jsonl'): FormData {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append('file', new Blob([lines.join('\n') + '\n']), filename);
    return form;
  }
  async function post(client: string, body: FormData | string, opts: { query?: string; contentType?: string; base?: string } = {}) {
    const headers = stack.auth(client, opts.contentType ? { 'content-type': opts.contentType } : {});
    const res = await fetch(`${opts.base ?? gw.url}/api/batches${opts.query ?? ''}`, { method: 'POST', headers, body });
    return { status: res.status, body: (await res.json()) as View };
  }
  const get = async (path: string, headers: Record<string, string>) => {
    const res = await fetch(`${gw.url}${path}`, { headers });
    return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
  };
  const ended = (id: string, client: string) =>
    waitFor(async () => {
      const r = await get(`/api/batches/${id}`, stack.auth(client));
      const v = JSON.parse(r.text) as View;
      return ['completed', 'failed', 'expired', 'cancelled'].includes(v.status) && v;
    }, `batch ${id} to end`, 60_000, 100);
  /** True when the webhooks app's group has committed every delivery message produced so far. */
  async function webhooksConsumedAll(): Promise<boolean> {
    const admin = stack.kafka.admin();
    await admin.connect();
    try {
      const topic = stack.namer.topic(Topics.webhooks);
      const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId: stack.namer.group('gantry.webhooks'), topics: [topic] })]);
      return ends.every((e) => Number(e.high) === 0 || Number(committed.partitions.find((p) => p.partition === e.partition)?.offset ?? -1) >= Number(e.high));
    } finally {
      await admin.disconnect();
    }
  }
  async function rowsOf(client: string): Promise<{ files: number; batches: number }> {
    const [f, b] = await Promise.all([
      stack.pg.query('SELECT count(*)::int AS n FROM files WHERE client_id = $1', [client]),
      stack.pg.query('SELECT count(*)::int AS n FROM batches WHERE client_id = $1', [client]),
    ]);
    return { files: f.rows[0].n, batches: b.rows[0].n };
  }

  it('takes a multipart upload, runs it, and serves progress, results and errors as JSONL', async () => {
    const lines = [...Array.from({ length: 10 }, (_, i) => chatLine(`m-${i}`, `multipart line ${i}`)), chatLine('m-dup', 'multipart line 2'), '{broken'];
    const res = await post('bulk_a', multipart(lines, { priority: 'high', metadata: JSON.stringify({ run: 'mp' }) }));
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      batch_id: expect.stringMatching(/^batch_/),
      status: 'in_progress',
      priority: 'high',
      metadata: { run: 'mp' },
      endpoint: '/v1/chat/completions',
      request_counts: { total: 12, invalid: 1 },
      links: { self: `/api/batches/${res.body.batch_id}`, results: `/api/batches/${res.body.batch_id}/results` },
    });
    const id = res.body.batch_id as string;
    const done = await ended(id, 'bulk_a');
    expect(done).toMatchObject({ status: 'completed', request_counts: { total: 12, completed: 11, failed: 1, invalid: 1, pending: 0 }, dedup: { unique_requests: 10, duplicate_requests: 1 } });
    expect(done.completed_at).toEqual(expect.any(String));

    const results = await get(`/api/batches/${id}/results`, stack.auth('bulk_a'));
    expect(results.status).toBe(200);
    expect(results.type).toMatch(/^application\/jsonl/);
    const out = parseJsonl(results.text);
    expect(out.map((l) => l.custom_id).sort()).toEqual([...Array.from({ length: 10 }, (_, i) => `m-${i}`), 'm-dup'].sort());
    expect(out.every((l) => l.response?.status_code === 200 && l.response.body.object === 'chat.completion')).toBe(true);
    const errors = parseJsonl((await get(`/api/batches/${id}/errors`, stack.auth('bulk_a'))).text);
    expect(errors.map((e) => [e.error?.code, e.error?.line])).toEqual([['invalid_json', 12]]);

    // Each child job row names its batch, and polling shows it; at the batch's priority.
    const child = out.find((l) => l.custom_id === 'm-0')!.response!.request_id;
    const view = await getJob(gw.url, child, stack.auth('bulk_a'));
    expect(view.body).toMatchObject({ batch_id: id, priority: 'high', status: 'succeeded' });
    const rows = await stack.pg.query('SELECT count(*)::int AS n FROM jobs WHERE batch_id = $1', [id]);
    expect(rows.rows[0].n).toBe(10);
  });

  it('takes a raw JSONL body with options as query parameters, priority low by default', async () => {
    const lines = Array.from({ length: 3 }, (_, i) => chatLine(`r-${i}`, `raw line ${i}`));
    for (const type of ['application/jsonl', 'application/x-ndjson', 'text/plain; charset=utf-8']) {
      const res = await post('bulk_raw', lines.join('\n'), { contentType: type, query: `?metadata=${encodeURIComponent('{"kind":"raw"}')}` });
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ status: 'in_progress', priority: 'low', metadata: { kind: 'raw' }, request_counts: { total: 3 } });
      const done = await ended(res.body.batch_id, 'bulk_raw');
      expect(done.request_counts).toMatchObject({ completed: 3, failed: 0 });
      expect(parseJsonl((await get(`/api/batches/${res.body.batch_id}/results`, stack.auth('bulk_raw'))).text)).toHaveLength(3);
    }
    const list = JSON.parse((await get('/api/batches?limit=2', stack.auth('bulk_raw'))).text) as View;
    expect(list.data).toHaveLength(2);
    expect(list.has_more).toBe(true);
    const next = JSON.parse((await get(`/api/batches?limit=2&after=${list.last_id}`, stack.auth('bulk_raw'))).text) as View;
    expect(next.data).toHaveLength(1);
    expect(next.has_more).toBe(false);
  });

  it('keeps tenants apart (404) and lets an admin see every batch', async () => {
    const res = await post('owner_x', multipart([chatLine('only', 'tenant probe')]));
    const id = res.body.batch_id as string;
    for (const path of [`/api/batches/${id}`, `/api/batches/${id}/results`, `/api/batches/${id}/errors`]) {
      const r = await get(path, stack.auth('other_y'));
      expect(r.status).toBe(404);
      expect(JSON.parse(r.text).code).toBe('batch_not_found');
    }
    const cancel = await fetch(`${gw.url}/api/batches/${id}/cancel`, { method: 'POST', headers: stack.auth('other_y') });
    expect(cancel.status).toBe(404);
    expect((JSON.parse((await get('/api/batches', stack.auth('other_y'))).text) as View).data.map((b: View) => b.batch_id)).not.toContain(id);
    expect(JSON.parse((await get(`/api/batches/${id}`, stack.adminAuth())).text)).toMatchObject({ batch_id: id, client_id: 'owner_x' });
    expect((JSON.parse((await get('/api/batches?limit=100', stack.adminAuth())).text) as View).data.map((b: View) => b.batch_id)).toContain(id);
    // An admin must say for whom it uploads.
    const admin = await fetch(`${gw.url}/api/batches`, { method: 'POST', headers: stack.adminAuth(), body: multipart([chatLine('a', 'b')]) });
    expect(admin.status).toBe(400);
    expect(((await admin.json()) as View).code).toBe('missing_client_id');
    await ended(id, 'owner_x');
  });

  it('answers 409 batch_not_finished for results of a running batch, and cancels it', async () => {
    const lines = [chatLine('h-hang', 'hold it [[sim:hang]]'), ...Array.from({ length: 5 }, (_, i) => chatLine(`h-${i}`, `after hang ${i}`))];
    const res = await post('bulk_c', multipart(lines));
    const id = res.body.batch_id as string;
    await waitFor(async () => (await stack.pg.query(`SELECT 1 FROM jobs WHERE batch_id = $1 AND status = 'running' AND request->'messages'->0->>'content' LIKE 'hold it%'`, [id])).rowCount, 'hang running');
    const early = await get(`/api/batches/${id}/results`, stack.auth('bulk_c'));
    expect(early.status).toBe(409);
    expect(JSON.parse(early.text).code).toBe('batch_not_finished');
    const cancel = await fetch(`${gw.url}/api/batches/${id}/cancel`, { method: 'POST', headers: stack.auth('bulk_c') });
    expect(cancel.status).toBe(202);
    expect(((await cancel.json()) as View).status).toBe('cancelling');
    const done = await ended(id, 'bulk_c');
    expect(done.status).toBe('cancelled');
    const out = parseJsonl((await get(`/api/batches/${id}/results`, stack.auth('bulk_c'))).text);
    const errs = parseJsonl((await get(`/api/batches/${id}/errors`, stack.auth('bulk_c'))).text);
    expect([...out, ...errs].map((l) => l.custom_id).sort()).toEqual(['h-hang', ...Array.from({ length: 5 }, (_, i) => `h-${i}`)].sort());
    expect(errs.map((e) => e.custom_id)).toContain('h-hang');
    expect(errs.every((e) => e.error?.code === 'batch_cancelled')).toBe(true);
    // The running child was aborted upstream, not left holding the backend.
    await waitFor(async () => (await stack.pg.query(`SELECT 1 FROM jobs WHERE batch_id = $1 AND status_rank < 2`, [id])).rowCount === 0, 'every child terminal');
  });

  it('sends batch.completed once, signed, to the batch webhook and the client endpoints, even when the sweep replays', async () => {
    const ep = (await (await fetch(`${gw.url}/api/webhooks/endpoints`, { method: 'POST', headers: stack.auth('hooked', { 'content-type': 'application/json' }), body: JSON.stringify({ url: `${rx.url}/ep-hooked` }) })).json()) as { id: string; secret: string };
    const { secret } = (await (await fetch(`${gw.url}/api/webhooks/secret`, { headers: stack.auth('hooked') })).json()) as { secret: string };
    const res = await post('hooked', multipart([chatLine('w-0', 'webhook line 0'), chatLine('w-1', 'webhook line 1')], { webhook: `${rx.url}/batch-hook` }));
    expect(res.status).toBe(202);
    expect(res.body.webhook).toBe(`${rx.url}/batch-hook`);
    const id = res.body.batch_id as string;
    await waitFor(async () => rx.at('/batch-hook').length >= 1 && rx.at('/ep-hooked').filter((r) => JSON.parse(r.body).type === 'batch.completed').length >= 1, 'batch webhooks', 60_000);
    const own = verified(secret, rx.at('/batch-hook')[0]);
    expect(own).toEqual({ id: expect.stringMatching(/^evt_/), object: 'event', created_at: expect.any(Number), type: 'batch.completed', data: { id } });
    const viaEndpoint = rx.at('/ep-hooked').filter((r) => JSON.parse(r.body).type === 'batch.completed');
    expect(verified(ep.secret, viaEndpoint[0])).toEqual(own);

    // The recorder forgets it announced (as after a crash before the mark): the same ids go out again, and nothing is sent twice.
    await stack.pg.query('UPDATE batches SET notified_at = NULL WHERE id = $1', [id]);
    await waitFor(async () => (await stack.pg.query('SELECT notified_at FROM batches WHERE id = $1', [id])).rows[0].notified_at, 'announced again');
    await waitFor(() => webhooksConsumedAll(), 'the webhooks app to consume every delivery', 30_000, 200);
    expect(rx.at('/batch-hook')).toHaveLength(1);
    expect(rx.at('/ep-hooked').filter((r) => JSON.parse(r.body).type === 'batch.completed')).toHaveLength(1);
    const log = (await (await fetch(`${gw.url}/api/webhooks/deliveries?batch_id=${id}`, { headers: stack.auth('hooked') })).json()) as { data: View[] };
    expect(log.data.filter((d) => d.outcome === 'delivered').map((d) => d.event_type)).toEqual(['batch.completed', 'batch.completed']);
    expect(log.data.every((d) => d.batch_id === id)).toBe(true);
  });

  it('sends batch.failed for a file with no valid line, and batch.cancelled for a cancelled batch', async () => {
    const failed = await post('hooked2', multipart(['nope', 'still nope'], { webhook: `${rx.url}/failed-hook` }));
    expect(failed.body).toMatchObject({ status: 'failed', request_counts: { total: 2, failed: 2 } });
    expect(failed.body.errors[0].code).toBe('no_valid_requests');
    const cancelled = await post('hooked2', multipart([chatLine('c-hang', 'hang for cancel [[sim:hang]]'), chatLine('c-1', 'x')], { webhook: `${rx.url}/cancel-hook` }));
    await fetch(`${gw.url}/api/batches/${cancelled.body.batch_id}/cancel`, { method: 'POST', headers: stack.auth('hooked2') });
    await waitFor(async () => rx.at('/failed-hook').length >= 1 && rx.at('/cancel-hook').length >= 1, 'failed and cancelled events', 60_000);
    expect(JSON.parse(rx.at('/failed-hook')[0].body)).toMatchObject({ type: 'batch.failed', data: { id: failed.body.batch_id } });
    expect(JSON.parse(rx.at('/cancel-hook')[0].body)).toMatchObject({ type: 'batch.cancelled', data: { id: cancelled.body.batch_id } });
  });

  it('refuses bad uploads with their codes and leaves no file and no batch behind', async () => {
    const before = await rowsOf('bad_bulk');
    const cases: Array<[string, () => Promise<{ status: number; body: View }>, number, string]> = [
      ['not JSONL (JSON body)', () => post('bad_bulk', JSON.stringify({ a: 1 }), { contentType: 'application/json' }), 415, 'unsupported_media_type'],
      ['empty file', () => post('bad_bulk', multipart([''])), 400, 'empty_file'],
      ['empty raw body', () => post('bad_bulk', '', { contentType: 'application/jsonl' }), 400, 'empty_file'],
      ['line too large', () => post('bad_bulk', multipart([chatLine('a', 'ok'), chatLine('big', 'x'.repeat(70_000))])), 400, 'line_too_large'],
      ['unknown endpoint', () => post('bad_bulk', multipart([chatLine('a', 'b')], { endpoint: '/v1/embeddings' })), 400, 'invalid_endpoint'],
      ['bad priority', () => post('bad_bulk', multipart([chatLine('a', 'b')], { priority: 'urgent' })), 400, 'invalid_priority'],
      ['bad priority after the file', () => post('bad_bulk', (() => { const f = multipart([chatLine('a', 'b')]); f.append('priority', 'urgent'); return f; })()), 400, 'invalid_priority'],
      ['bad raw priority', () => post('bad_bulk', chatLine('a', 'b'), { contentType: 'application/jsonl', query: '?priority=urgent' }), 400, 'invalid_priority'],
      ['metadata not JSON', () => post('bad_bulk', multipart([chatLine('a', 'b')], { metadata: '{nope' })), 400, 'invalid_metadata'],
      ['metadata not string pairs', () => post('bad_bulk', multipart([chatLine('a', 'b')], { metadata: '{"n":1}' })), 400, 'invalid_metadata'],
      ['metadata an array', () => post('bad_bulk', chatLine('a', 'b'), { contentType: 'application/jsonl', query: `?metadata=${encodeURIComponent('[1]')}` }), 400, 'invalid_metadata'],
      ['private webhook', () => post('bad_bulk', multipart([chatLine('a', 'b')], { webhook: 'http://10.0.0.1/hook' }), { base: strict.url }), 400, 'webhook_url_forbidden'],
      ['loopback webhook after the file', () => post('bad_bulk', (() => { const f = multipart([chatLine('a', 'b')]); f.append('webhook', 'http://127.0.0.1:9/x'); return f; })(), { base: strict.url }), 400, 'webhook_url_forbidden'],
      ['raw private webhook', () => post('bad_bulk', chatLine('a', 'b'), { contentType: 'application/jsonl', query: `?webhook=${encodeURIComponent('http://169.254.169.254/latest')}`, base: strict.url }), 400, 'webhook_url_forbidden'],
      ['webhook not a URL', () => post('bad_bulk', multipart([chatLine('a', 'b')], { webhook: 'not a url' })), 400, 'webhook_url_invalid'],
      ['unknown field', () => post('bad_bulk', multipart([chatLine('a', 'b')], { colour: 'red' })), 400, 'invalid_request'],
      ['unknown query parameter', () => post('bad_bulk', chatLine('a', 'b'), { contentType: 'application/jsonl', query: '?colour=red' }), 400, 'invalid_request'],
      ['no file part', () => post('bad_bulk', (() => { const f = new FormData(); f.append('priority', 'low'); return f; })()), 400, 'missing_file'],
      ['not UTF-8', () => post('bad_bulk', (() => { const f = new FormData(); f.append('file', new Blob([Buffer.from([0x89, 0x50, 0xff, 0xfe, 0x0a])]), 'x.png'); return f; })()), 400, 'invalid_file'],
    ];
    for (const [what, send, status, code] of cases) {
      const r = await send();
      expect({ what, status: r.status, code: r.body.code }).toEqual({ what, status, code });
      expect(await rowsOf('bad_bulk')).toEqual(before);
    }
  });

  it('reports bad lines per line (duplicate custom_id, unknown url, not JSON) and fails a file with none valid', async () => {
    const res = await post('lines_bulk', multipart([chatLine('a', 'one'), chatLine('a', 'two'), chatLine('b', 'x', { url: '/v1/embeddings' }), 'plain prose', chatLine('c', 'three')]));
    expect(res.status).toBe(202);
    expect(res.body.request_counts).toMatchObject({ total: 5, invalid: 3 });
    const done = await ended(res.body.batch_id, 'lines_bulk');
    const errors = parseJsonl((await get(`/api/batches/${res.body.batch_id}/errors`, stack.auth('lines_bulk'))).text);
    expect(errors.map((e) => [e.error?.code, e.error?.line])).toEqual([
      ['duplicate_custom_id', 2],
      ['invalid_url', 3],
      ['invalid_json', 4],
    ]);
    expect(done.request_counts).toMatchObject({ completed: 2, failed: 3 });
    const none = await post('lines_bulk', 'just text\nmore text\n', { contentType: 'text/plain' });
    expect(none.status).toBe(202);
    expect(none.body).toMatchObject({ status: 'failed', errors: [{ code: 'no_valid_requests' }, { code: 'invalid_json', line: 1 }, { code: 'invalid_json', line: 2 }] });
    expect((await get(`/api/batches/${none.body.batch_id}/results`, stack.auth('lines_bulk'))).text).toBe('');
  });

  it('runs OCR lines (url /api/ocr) as OCR child jobs on the deepseek-ocr pool, with per-line errors', async () => {
    const dataUrl = (bytes: Buffer, type: string) => `data:${type};base64,${bytes.toString('base64')}`;
    const ocrLine = (customId: string, url: string | null, extra: Record<string, unknown> = {}, prompt = 'free') =>
      JSON.stringify({
        custom_id: customId,
        method: 'POST',
        url: '/api/ocr',
        body: { model: 'deepseek-ai/DeepSeek-OCR', messages: [{ role: 'user', content: [...(url ? [{ type: 'image_url', image_url: { url } }] : []), { type: 'text', text: prompt }] }], ...extra },
      });
    const [one, two] = await Promise.all([textImage(['Invoice 42'], { width: 320, height: 120, fontSize: 40 }), textImage(['Receipt 7'], { width: 320, height: 120, fontSize: 40 })]);
    const lines = [
      ocrLine('o-1', dataUrl(one, 'image/png')),
      ocrLine('o-2', dataUrl(two, 'image/png'), { resolution: 'tiny' }),
      ocrLine('o-dup', dataUrl(one, 'image/png')),
      ocrLine('o-noimage', null),
      ocrLine('o-notbase64', 'data:image/png;base64,@@@@'),
      ocrLine('o-bmp', dataUrl(bmp(), 'image/bmp')),
      ocrLine('o-pdf', dataUrl(makePdf(['page']), 'application/pdf')),
      ocrLine('o-prompt', dataUrl(one, 'image/png'), {}, 'locate'),
      ocrLine('o-res', dataUrl(one, 'image/png'), { resolution: 'huge' }),
      chatLine('o-chat', 'a chat line in an OCR batch'),
    ];
    stack.sim.resetStats();
    const res = await post('ocr_bulk', multipart(lines, { endpoint: '/api/ocr' }));
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ endpoint: '/api/ocr', request_counts: { total: 10, invalid: 7 }, dedup: { unique_requests: 2, duplicate_requests: 1 } });
    const done = await ended(res.body.batch_id, 'ocr_bulk');
    expect(done).toMatchObject({ status: 'completed', request_counts: { completed: 3, failed: 7 } });
    const out = parseJsonl((await get(`/api/batches/${res.body.batch_id}/results`, stack.auth('ocr_bulk'))).text);
    expect(out.map((l) => l.custom_id).sort()).toEqual(['o-1', 'o-2', 'o-dup']);
    expect(out.every((l) => l.response?.status_code === 200)).toBe(true);
    const byId = new Map(out.map((l) => [l.custom_id, l]));
    expect(byId.get('o-dup')!.response).toEqual(byId.get('o-1')!.response);
    const jobs = await stack.pg.query(`SELECT kind, pool, request->>'resolution' AS resolution FROM jobs WHERE batch_id = $1 ORDER BY request->>'resolution'`, [res.body.batch_id]);
    expect(jobs.rows).toHaveLength(2);
    expect(jobs.rows.every((r) => r.kind === 'ocr' && r.pool === 'deepseek-ocr')).toBe(true);
    expect(jobs.rows.map((r) => r.resolution)).toContain('tiny');
    // Two unique images: two DeepSeek-OCR calls.
    expect(stack.sim.stats().requests.filter((r) => JSON.stringify(r).includes('DeepSeek-OCR'))).toHaveLength(2);
    const errors = parseJsonl((await get(`/api/batches/${res.body.batch_id}/errors`, stack.auth('ocr_bulk'))).text);
    expect(Object.fromEntries(errors.map((e) => [e.custom_id, e.error?.code]))).toEqual({
      'o-noimage': 'missing_image',
      'o-notbase64': 'invalid_image',
      'o-bmp': 'unsupported_image_format',
      'o-pdf': 'invalid_body',
      'o-prompt': 'invalid_prompt',
      'o-res': 'invalid_resolution',
      'o-chat': 'mismatched_endpoint',
    });
  });

  it('answers unknown ids and bad list parameters with their codes', async () => {
    expect(JSON.parse((await get('/api/batches/batch_nope', stack.auth('x'))).text).code).toBe('batch_not_found');
    expect(JSON.parse((await get('/api/batches/batch_nope/results', stack.auth('x'))).text).code).toBe('batch_not_found');
    const bad = await get('/api/batches?limit=0', stack.auth('x'));
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).code).toBe('invalid_request');
    const other = await fetch(`${gw.url}/api/chat`, { method: 'POST', headers: stack.auth('x', { 'content-type': 'application/jsonl' }), body: chatLine('a', 'b') });
    expect(other.status).toBe(415);
  });
});
