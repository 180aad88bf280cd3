import { defaultFileConfig } from '@gantry/config';
import { serverArgv, shouldWake } from './model-server.driver';
import { restartDelayMs } from './model-server.supervisor';

describe('restartDelayMs', () => {
  it('doubles from initial_ms per restart in a row, capped at max_ms', () => {
    const b = { initial_ms: 100, max_ms: 1_000 };
    expect([1, 2, 3, 4, 5, 6, 50].map((n) => restartDelayMs(n, b))).toEqual([100, 200, 400, 800, 1_000, 1_000, 1_000]);
    expect(restartDelayMs(0, b)).toBe(100);
  });
});

describe('serverArgv', () => {
  const config = {
    ...defaultFileConfig().models.deepseek,
    command: ['vllm', 'serve', 'deepseek-ai/DeepSeek-OCR', '--host', '{host}', '--port', '{port}', '--tag={resolution}'],
    resolution_args: { gundam: ['--mm-processor-kwargs', '{"crop_mode":true}'] },
  };

  it('fills host and port from the backend URL and appends the resolution args', () => {
    expect(serverArgv(config, 'http://127.0.0.1:8001', 'gundam')).toEqual([
      'vllm', 'serve', 'deepseek-ai/DeepSeek-OCR', '--host', '127.0.0.1', '--port', '8001', '--tag=gundam', '--mm-processor-kwargs', '{"crop_mode":true}',
    ]);
  });

  it('a resolution without args of its own adds none; a URL without port uses the scheme default', () => {
    expect(serverArgv(config, 'http://gpu-box', 'large').slice(3)).toEqual(['--host', 'gpu-box', '--port', '80', '--tag=large']);
    expect(serverArgv({ ...config, command: ['x', '{port}'] }, 'https://[::1]/', null)).toEqual(['x', '443']);
  });
});

describe('shouldWake (auto_switch)', () => {
  const auto = { min_requests_for_switch: 10, max_wait_seconds: 300 };
  it('starts the server once min_requests_for_switch requests wait', () => {
    expect(shouldWake(9, 0, auto)).toBe(false);
    expect(shouldWake(10, 0, auto)).toBe(true);
    expect(shouldWake(50, 0, auto)).toBe(true);
  });
  it('starts it for fewer requests once the oldest has waited max_wait_seconds; never for none', () => {
    expect(shouldWake(1, 299_999, auto)).toBe(false);
    expect(shouldWake(1, 300_000, auto)).toBe(true);
    expect(shouldWake(0, 10_000_000, auto)).toBe(false);
  });
});
