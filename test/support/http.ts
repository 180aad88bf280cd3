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
