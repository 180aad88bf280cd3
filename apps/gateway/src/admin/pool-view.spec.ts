import type { PoolControlState } from '@gantry/contracts';
import type { WorkerReport } from '@gantry/redis';
import { poolView, type BackendProbe } from './pool-view';
import { parseGraceful } from './pools.controller';
import { poolOfAdminName } from './pool-names';

const NOW = Date.parse('2026-01-15T17:00:00.000Z');
const worker = (over: Partial<WorkerReport> = {}): WorkerReport => ({
  id: 'w1',
  pool: 'gemma',
  in_flight: 0,
  in_flight_by_priority: { high: 0, normal: 0, low: 0 },
  max_concurrent: 4,
  max_waiting: 64,
  waiting: { high: 0, normal: 0, low: 0 },
  dispatching: true,
  started_at: NOW - 3_600_000,
  at: NOW,
  ...over,
});
const vllm: BackendProbe = { engine: 'vllm', url: 'http://127.0.0.1:8000', healthy: true };
const state = (over: Partial<PoolControlState>): PoolControlState => ({ schema: 1, pool: 'gemma', updated_at: new Date(NOW).toISOString(), ...over });
const view = (s: PoolControlState | undefined, workers: WorkerReport[], backend = vllm) => poolView({ pool: 'gemma', state: s, workers, backend, resolution: null, now: NOW });

describe('poolView', () => {
  it('a pool never stopped runs since its oldest live worker started, with the reference fields', () => {
    const v = view(undefined, [worker({ in_flight: 2 }), worker({ id: 'w2', started_at: NOW - 60_000, in_flight: 1 })]);
    expect(v).toEqual({
      name: 'gemma',
      pool: 'gemma',
      status: 'running',
      desired: 'running',
      stop_mode: null,
      port: 8000,
      started_at: new Date(NOW - 3_600_000).toISOString(),
      uptime_seconds: 3600,
      stopped_at: null,
      resolution: null,
      is_healthy: true,
      engine: 'vllm',
      backend_url: 'http://127.0.0.1:8000',
      backend_healthy: true,
      workers: 2,
      in_flight: 3,
      driver: null,
      server: null,
    });
  });

  it('shows the model server a process-driver worker runs; a server stopped by auto_switch makes the pool idle', () => {
    const server = { status: 'running', pid: 42, restarts: 1, last_exit: { code: null, signal: 'SIGKILL', at: new Date(NOW).toISOString() }, log_file: 'logs/gemma-server.log', args: ['vllm', 'serve'] };
    expect(view(undefined, [worker({ driver: 'process', server })])).toMatchObject({ status: 'running', driver: 'process', server });
    expect(view(undefined, [worker({ driver: 'external', server: null })])).toMatchObject({ driver: 'external', server: null });
    const idle = { ...server, status: 'idle_stopped', pid: null };
    expect(view(undefined, [worker({ driver: 'process', dispatching: false, server: idle })])).toMatchObject({ status: 'idle', desired: 'running', server: idle });
    // Starting (health not 200 yet) is not idle.
    expect(view(undefined, [worker({ driver: 'process', dispatching: false, server: { ...server, status: 'starting' } })]).status).toBe('starting');
  });

  it('after a start, uptime counts from the start, not from the older workers', () => {
    const v = view(state({ paused: false, changed_at: new Date(NOW - 10_000).toISOString() }), [worker()]);
    expect(v).toMatchObject({ status: 'running', started_at: new Date(NOW - 10_000).toISOString(), uptime_seconds: 10 });
  });

  it('a stopped pool is stopping while a worker still runs jobs or has not applied the stop, then stopped', () => {
    const stopped = state({ paused: true, stop_mode: 'graceful', changed_at: new Date(NOW - 5_000).toISOString() });
    expect(view(stopped, [worker({ dispatching: false, in_flight: 1 })])).toMatchObject({ status: 'stopping', desired: 'stopped', in_flight: 1 });
    expect(view(stopped, [worker({ dispatching: true })]).status).toBe('stopping');
    expect(view(stopped, [worker({ dispatching: false })])).toMatchObject({
      status: 'stopped',
      stop_mode: 'graceful',
      stopped_at: new Date(NOW - 5_000).toISOString(),
      started_at: null,
      uptime_seconds: null,
    });
    expect(view(state({ paused: true, stop_mode: 'forced' }), []).status).toBe('stopped');
    // A state written before stop modes existed counts as graceful.
    expect(view(state({ paused: true }), []).stop_mode).toBe('graceful');
  });

  it('meant to run: no_workers without a live worker, starting until one takes jobs', () => {
    expect(view(state({ paused: false }), [])).toMatchObject({ status: 'no_workers', is_healthy: false, workers: 0, started_at: null });
    expect(view(state({ paused: false }), [worker({ dispatching: false })]).status).toBe('starting');
  });

  it('is healthy only when the model server answers and a worker is alive; an in-process engine has no server', () => {
    const down = view(undefined, [worker()], { engine: 'vllm', url: 'http://10.0.0.5:8001', healthy: false, error: 'ECONNREFUSED' });
    expect(down).toMatchObject({ is_healthy: false, backend_healthy: false, backend_error: 'ECONNREFUSED', port: 8001 });
    const tesseract = poolView({ pool: 'deepseek-ocr', state: undefined, workers: [worker({ pool: 'deepseek-ocr' })], backend: { engine: 'tesseract', url: null, healthy: null }, resolution: 'large', now: NOW });
    expect(tesseract).toMatchObject({ is_healthy: true, backend_healthy: null, port: null, resolution: 'large', engine: 'tesseract' });
    expect(view(undefined, [], { engine: 'vllm', url: 'https://gpu.example', healthy: true }).port).toBe(443);
  });
});

describe('admin pool names and ?graceful=', () => {
  it('names the OCR pool `deepseek` in views, with its pool name beside', () => {
    const v = poolView({ pool: 'deepseek-ocr', state: undefined, workers: [], backend: { engine: 'tesseract', url: null, healthy: null }, resolution: 'large', now: NOW });
    expect(v).toMatchObject({ name: 'deepseek', pool: 'deepseek-ocr', resolution: 'large' });
  });

  it('accepts pool names, model aliases and the reference\'s "deepseek"', () => {
    expect(poolOfAdminName('gemma')).toBe('gemma');
    expect(poolOfAdminName('gemma-3-4b-it')).toBe('gemma');
    expect(poolOfAdminName('deepseek-ocr')).toBe('deepseek-ocr');
    expect(poolOfAdminName('deepseek')).toBe('deepseek-ocr');
    expect(poolOfAdminName('deepseek-ai/DeepSeek-OCR')).toBe('deepseek-ocr');
    for (const bad of ['GEMMA', 'gpt-4', '', '__proto__', 'constructor']) expect(poolOfAdminName(bad)).toBeUndefined();
  });

  it('graceful defaults to true and takes only true or false', () => {
    expect(parseGraceful(undefined)).toBe(true);
    expect(parseGraceful('')).toBe(true);
    expect(parseGraceful('TRUE')).toBe(true);
    expect(parseGraceful('false')).toBe(false);
    for (const bad of ['yes', '0', '1', 'no', ['true', 'false'], ' true']) {
      expect(() => parseGraceful(bad)).toThrow(expect.objectContaining({ code: 'invalid_request', status: 400 }));
    }
  });
});
