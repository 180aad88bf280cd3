/** Small fetch helpers for the auth, tenancy and quota suites. */
export interface HttpResult {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function result(res: Response): Promise<HttpResult> {
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

export async function postJson(baseUrl: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
  return result(await fetch(`${baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }));
}

export async function postForm(baseUrl: string, path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<HttpResult> {
  return result(
    await fetch(`${baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields).toString() }),
  );
}

export async function call(baseUrl: string, method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<HttpResult> {
  return result(
    await fetch(`${baseUrl}${path}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/**
 * A POST that counts only once its whole body is sent, as a simple client does (write everything,
 * then read the answer). An upload the server refuses mid-way gets there only if the server reads
 * the rest; otherwise the write stalls and ends in a reset.
 */
export async function postWhole(url: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; connection: string | undefined; body: Record<string, unknown> }> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': String(body.length) } });
    const sent = new Promise<void>((done) => req.end(body, done));
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('error', reject);
      res.on('end', () => void sent.then(() => resolve({ status: res.statusCode!, connection: res.headers.connection, body: JSON.parse(text) as Record<string, unknown> })));
    });
  });
}
