import { canonicalJson, checkEnvelope, checkLine, childRequestId } from './batch-line';

const line = (o: Record<string, unknown>) => JSON.stringify({ custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body: { model: 'gemma-3-4b-it', messages: [{ role: 'user', content: 'hi' }] }, ...o });

describe('checkLine', () => {
  it('accepts a chat line and hashes its request', () => {
    const r = checkLine(line({}), 1, '/v1/chat/completions');
    expect(r).toMatchObject({ ok: true, customId: 'a', request: { model: 'gemma-3-4b-it', messages: [{ role: 'user', content: 'hi' }] } });
  });

  it('gives equal hashes to the same request whatever the key order', () => {
    const a = checkLine(line({}), 1, '/v1/chat/completions');
    const b = checkLine(JSON.stringify({ body: { messages: [{ content: 'hi', role: 'user' }], model: 'gemma-3-4b-it' }, url: '/v1/chat/completions', method: 'POST', custom_id: 'b' }), 2, '/v1/chat/completions');
    expect(a.ok && b.ok && a.hash === b.hash).toBe(true);
    const c = checkLine(line({ body: { model: 'gemma-3-4b-it', messages: [{ role: 'user', content: 'hi!' }] } }), 3, '/v1/chat/completions');
    expect(a.ok && c.ok && a.hash !== c.hash).toBe(true);
  });

  it.each([
    ['{nope', 'invalid_json'],
    ['[1,2]', 'invalid_json'],
    [line({ custom_id: '' }), 'missing_custom_id'],
    [line({ custom_id: undefined }), 'missing_custom_id'],
    [line({ method: 'GET' }), 'invalid_method'],
    [line({ url: '/v1/embeddings' }), 'invalid_url'],
    [line({ body: { model: 'gemma-3-4b-it', messages: [] } }), 'invalid_body'],
    [line({ body: { model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] } }), 'model_not_found'],
  ])('reports %s as %s with its line number', (text, code) => {
    const r = checkLine(text, 7, '/v1/chat/completions');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ code, line: 7, message: expect.stringMatching(/^Line 7: /) });
  });
});

describe('checkEnvelope', () => {
  it('accepts an OCR line in an OCR batch and refuses it in a chat batch', () => {
    const ocr = JSON.stringify({ custom_id: 'o', method: 'POST', url: '/api/ocr', body: { messages: [] } });
    expect(checkEnvelope(ocr, 1, '/api/ocr')).toEqual({ ok: true, customId: 'o', body: { messages: [] } });
    expect(checkEnvelope(ocr, 2, '/v1/chat/completions')).toMatchObject({ ok: false, error: { code: 'mismatched_endpoint', line: 2 } });
    expect(checkLine(line({}), 3, '/api/ocr')).toMatchObject({ ok: false, error: { code: 'mismatched_endpoint' } });
  });
});

describe('childRequestId', () => {
  it('is a stable UUID per batch and line', () => {
    expect(childRequestId('batch_x', 3)).toBe(childRequestId('batch_x', 3));
    expect(childRequestId('batch_x', 3)).not.toBe(childRequestId('batch_x', 4));
    expect(childRequestId('batch_x', 3)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[1,{"y":2,"z":1}]},"b":1}');
  });
});
