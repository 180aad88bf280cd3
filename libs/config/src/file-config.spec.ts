import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './config-error';
import { GatewayEnv, loadEnv, WorkerEnv } from './env';
import { defaultFileConfig, loadFileConfig, parseFileConfig } from './file-config';

const dir = mkdtempSync(join(tmpdir(), 'gantry-config-'));
let n = 0;
function file(text: string): string {
  const path = join(dir, `c${n++}.yaml`);
  writeFileSync(path, text);
  return path;
}
function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('config/config.yaml', () => {
  it('a missing file means the built-in defaults', () => {
    expect(loadFileConfig(join(dir, 'absent.yaml'))).toEqual(defaultFileConfig());
  });

  it('the shipped file is valid and keeps both pools on the external driver', () => {
    const c = loadFileConfig('config/config.yaml');
    expect(c.models.gemma.driver).toBe('external');
    expect(c.models.deepseek.driver).toBe('external');
    expect(c.auto_switch).toMatchObject({ pattern_window_days: 7, min_requests_for_switch: 10 });
  });

  it('reads the reference shape and a process driver', () => {
    const c = loadFileConfig(
      file(`
queue: { max_waiting: 10, timeout: 300 }
auto_switch: { enabled: true, pattern_window_days: 0.5, min_requests_for_switch: 3 }
models:
  deepseek:
    resolution_mode: gundam
    driver: process
    command: [vllm, serve, deepseek-ai/DeepSeek-OCR, --port, "{port}"]
    resolution_args: { gundam: [--mm-processor-kwargs, '{"crop_mode":true}'] }
    restart_backoff: { initial_ms: 10, max_ms: 20 }
`),
    );
    expect(c.auto_switch).toEqual({ enabled: true, pattern_window_days: 0.5, min_requests_for_switch: 3, max_wait_seconds: 300 });
    expect(c.models.deepseek).toMatchObject({ driver: 'process', resolution_mode: 'gundam', resolution_args: { gundam: ['--mm-processor-kwargs', '{"crop_mode":true}'] } });
    expect(c.models.deepseek.restart_backoff).toEqual({ initial_ms: 10, max_ms: 20, reset_after_ms: 300_000 });
    expect(c.models.gemma.driver).toBe('external');
  });

  it('feeds the variables that exist for its settings, and the environment wins', () => {
    const path = file('queue: { max_waiting: 7, timeout: 12 }\nmodels: { deepseek: { resolution_mode: tiny } }\n');
    const gw = loadEnv(GatewayEnv, { GANTRY_CONFIG: path });
    expect(gw.ADMISSION_MAX_BACKLOG).toBe('gemma=7,deepseek-ocr=7');
    expect(gw.OCR_DEFAULT_RESOLUTION).toBe('tiny');
    const worker = loadEnv(WorkerEnv, { GANTRY_CONFIG: path, WORKER_REQUEST_TIMEOUT_MS: '5000' });
    expect(worker.WORKER_REQUEST_TIMEOUT_MS).toBe(5000);
    expect(loadEnv(WorkerEnv, { GANTRY_CONFIG: path }).WORKER_REQUEST_TIMEOUT_MS).toBe(12_000);
  });

  it('refuses malformed YAML with the line', () => {
    const [p] = problems(() => loadFileConfig(file('queue:\n  timeout: [1,\n')));
    expect(p).toMatch(/not valid YAML \(line \d+/);
  });

  it('refuses unknown keys, naming each', () => {
    expect(problems(() => parseFileConfig({ queue: { max_wait: 1 }, models: { gemma: { drivr: 'process' } }, extra: 1 }, 'c.yaml'))).toEqual([
      'c.yaml: extra: unknown key',
      'c.yaml: queue.max_wait: unknown key',
      'c.yaml: models.gemma.drivr: unknown key',
    ]);
  });

  it('refuses bad values, naming each key', () => {
    const p = problems(() =>
      parseFileConfig(
        {
          queue: { max_waiting: -1, timeout: 'soon' },
          auto_switch: { enabled: 'yes', pattern_window_days: 0, min_requests_for_switch: 1.5 },
          models: {
            gemma: { driver: 'docker', health_path: 'health', restart_backoff: { initial_ms: 100, max_ms: 10 } },
            deepseek: { driver: 'process', resolution_mode: 'huge', resolution_args: { tiny: 'x' } },
          },
        },
        'c.yaml',
      ),
    );
    expect(p.map((x) => x.split(':')[1].trim())).toEqual([
      'queue.max_waiting',
      'queue.timeout',
      'auto_switch.enabled',
      'auto_switch.pattern_window_days',
      'auto_switch.min_requests_for_switch',
      'models.gemma.driver',
      'models.gemma.health_path',
      'models.gemma.restart_backoff.max_ms',
      'models.deepseek.command',
      'models.deepseek.resolution_mode',
      'models.deepseek.resolution_args.tiny',
    ]);
  });

  it('a top level that is not a mapping is refused', () => {
    expect(problems(() => loadFileConfig(file('- a\n- b\n')))[0]).toMatch(/must be a YAML mapping/);
  });

  it('loadEnv refuses to start on a bad file', () => {
    const path = file('models: { gemma: { driver: process } }\n');
    expect(problems(() => loadEnv(WorkerEnv, { GANTRY_CONFIG: path }))).toEqual([`${path}: models.gemma.command: required when driver is process`]);
  });
});
