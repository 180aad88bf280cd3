/**
 * The gateway's admin API as the console uses it. The console is a client of the HTTP API like
 * any other (an app never imports another app), so the shapes it reads are declared here.
 */
export interface PoolInfo {
  name: string;
  status: string;
  desired: 'running' | 'stopped';
  stop_mode: 'graceful' | 'forced' | null;
  uptime_seconds: number | null;
  resolution: string | null;
  is_healthy: boolean;
  engine: string;
  backend_url: string | null;
  backend_healthy: boolean | null;
  backend_error?: string;
  workers: number;
  in_flight: number;
}

export interface QueueInfo {
  model: string;
  processing: number;
  waiting: number;
  waiting_by_priority: Record<'high' | 'normal' | 'low', number>;
  backlog: number;
  oldest_waiting_age_seconds: number | null;
  max_concurrent: number;
  max_waiting: number | null;
  total_processed: number;
  total_failed: number;
  utilization: number;
}

export interface CrashInfo {
  timestamp: string;
  error: string;
  model: string | null;
  request_id: string | null;
  source: string;
  code: string | null;
}

/** A non-2xx answer (with the gateway's stable `code`), or no answer at all (`status` 0). */
export class AdminApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AdminApiError';
  }
}

export class AdminClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
    private readonly timeoutMs = 5_000,
  ) {}

  private async request<T>(method: 'GET' | 'POST', path: string): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl.replace(/\/+$/, '')}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, accept: 'application/json' },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : (cause?.code ?? cause?.message ?? String(err));
      throw new AdminApiError(0, 'unreachable', `gateway unreachable (${why})`);
    }
    const text = await res.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    if (!res.ok) {
      const e = (body ?? {}) as { code?: string; detail?: string };
      throw new AdminApiError(res.status, e.code ?? `http_${res.status}`, `${res.status} ${e.code ?? ''} ${e.detail ?? ''}`.trim());
    }
    return body as T;
  }

  models(): Promise<Record<string, PoolInfo>> {
    return this.request('GET', '/admin/models');
  }

  queue(pool: string): Promise<QueueInfo> {
    return this.request('GET', `/admin/queue/${encodeURIComponent(pool)}`);
  }

  crashes(limit: number): Promise<CrashInfo[]> {
    return this.request('GET', `/admin/crashes?limit=${limit}`);
  }

  start(pool: string): Promise<{ status: string; model: string }> {
    return this.request('POST', `/admin/models/${encodeURIComponent(pool)}/start`);
  }

  stop(pool: string, graceful: boolean): Promise<{ status: string; model: string }> {
    return this.request('POST', `/admin/models/${encodeURIComponent(pool)}/stop?graceful=${graceful}`);
  }
}
