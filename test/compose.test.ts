// docker-compose.yml describes the production-like GPU box. There is no Docker engine in CI, so
// this validates the file offline with `docker-compose config` (installed on demand by
// deploy/local/ensure-compose.sh) and checks what the rendered configuration says.
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');

/** Dummy values for every secret the compose file requires. */
const SECRETS: Readonly<Record<string, string>> = {
  POSTGRES_PASSWORD: 'dummy-postgres-password',
  GANTRY_JWT_SECRET: 'dummy-jwt-secret',
  HUGGING_FACE_HUB_TOKEN: 'hf_dummy_token',
};

const EXPECTED_SERVICES = [
  'kafka',
  'postgres',
  'redis',
  'vllm-gemma',
  'vllm-ocr',
  'topics',
  'migrate',
  'gateway',
  'worker-gemma',
  'worker-ocr',
  'recorder',
];

interface DeviceRequest {
  driver?: string;
  count?: number | string;
  device_ids?: string[];
  capabilities?: string[];
}

interface Service {
  image?: string;
  build?: { context?: string; dockerfile?: string };
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: Record<string, { condition?: string }> | string[];
  restart?: string;
  deploy?: { resources?: { reservations?: { devices?: DeviceRequest[] } } };
  healthcheck?: { test?: string[] | string };
}

interface ComposeConfig {
  services: Record<string, Service>;
}

let workDir: string;
let emptyEnvFile: string;

/**
 * Runs docker-compose with only PATH/HOME and the given variables in its environment, and an
 * empty env file, so neither the caller's shell nor a developer's .env can supply a secret.
 */
function compose(args: string[], vars: Record<string, string>): SpawnSyncReturns<string> {
  return spawnSync(
    'docker-compose',
    ['--env-file', emptyEnvFile, '-f', join(ROOT, 'docker-compose.yml'), ...args],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: workDir, ...vars },
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
}

/** YAML → object without a JS YAML dependency: Python's yaml (a docker-compose v1 dependency), else Compose v2's JSON output. */
function toJson(yamlText: string, vars: Record<string, string>): ComposeConfig {
  const py = spawnSync(
    'python3',
    ['-c', 'import sys, json, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'],
    { input: yamlText, encoding: 'utf8', timeout: 30_000 },
  );
  if (py.status === 0) return JSON.parse(py.stdout) as ComposeConfig;
  const v2 = compose(['config', '--format', 'json'], vars);
  if (v2.status === 0) return JSON.parse(v2.stdout) as ComposeConfig;
  throw new Error(`cannot parse the rendered config:\n${py.stderr}\n${v2.stderr}`);
}

function envOf(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((kv) => {
        const i = kv.indexOf('=');
        return i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v == null ? '' : String(v)]));
}

function argsOf(service: Service): string[] {
  const cmd = service.command ?? [];
  return Array.isArray(cmd) ? cmd.map(String) : cmd.split(/\s+/);
}

/** Value following a flag in an argument list (`--flag value`), or undefined. */
function flagValue(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

function dependsOn(service: Service): Record<string, string | undefined> {
  const deps = service.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, undefined]));
  return Object.fromEntries(Object.entries(deps).map(([k, v]) => [k, v?.condition]));
}

describe('docker-compose.yml', () => {
  let rendered: SpawnSyncReturns<string>;
  let config: ComposeConfig;

  beforeAll(() => {
    workDir = mkdtempSync(join(tmpdir(), 'gantry-compose-'));
    emptyEnvFile = join(workDir, 'empty.env');
    writeFileSync(emptyEnvFile, '');

    const ensure = spawnSync('bash', [join(ROOT, 'deploy/local/ensure-compose.sh')], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 300_000,
    });
    if (ensure.status !== 0) {
      throw new Error(`deploy/local/ensure-compose.sh failed (${ensure.status}):\n${ensure.stderr}`);
    }

    rendered = compose(['config'], { ...SECRETS });
    if (rendered.status === 0) config = toJson(rendered.stdout, { ...SECRETS });
  }, 300_000);

  afterAll(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('validates with docker-compose config when the secrets are provided', () => {
    expect(rendered.stderr).not.toMatch(/ERROR/);
    expect(rendered.status).toBe(0);
  });

  it('declares the infrastructure, both vLLM servers, the one-shot jobs and the Gantry apps', () => {
    expect(Object.keys(config.services)).toEqual(expect.arrayContaining(EXPECTED_SERVICES));
    const listed = compose(['config', '--services'], { ...SECRETS });
    expect(listed.status).toBe(0);
    expect(listed.stdout.split('\n').filter(Boolean)).toEqual(expect.arrayContaining(EXPECTED_SERVICES));
  });

  it('serves DeepSeek-OCR with the flags of vLLM’s recipe, including the n-gram logits processor', () => {
    const args = argsOf(config.services['vllm-ocr']);
    expect(args[0]).toBe('deepseek-ai/DeepSeek-OCR');
    expect(flagValue(args, '--logits_processors') ?? flagValue(args, '--logits-processors')).toBe(
      'vllm.model_executor.models.deepseek_ocr:NGramPerReqLogitsProcessor',
    );
    expect(args).toContain('--no-enable-prefix-caching');
    expect(flagValue(args, '--mm-processor-cache-gb')).toBe('0');
    expect(args).toContain('--trust-remote-code');
    expect(flagValue(args, '--scheduling-policy')).toBe('priority');
    expect(flagValue(args, '--port')).toBe('8001');
  });

  it('serves Gemma under both model names with priority scheduling on port 8000', () => {
    const args = argsOf(config.services['vllm-gemma']);
    expect(args[0]).toBe('google/gemma-3-4b-it');
    const names = args.slice(args.indexOf('--served-model-name') + 1, args.indexOf('--served-model-name') + 3);
    expect(names).toEqual(['gemma-3-4b-it', 'google/gemma-3-4b-it']);
    expect(flagValue(args, '--max-num-seqs')).toBe('64');
    expect(flagValue(args, '--max-model-len')).toBe('8192');
    expect(flagValue(args, '--scheduling-policy')).toBe('priority');
    expect(Number(flagValue(args, '--gpu-memory-utilization'))).toBeGreaterThan(0);
    expect(flagValue(args, '--port')).toBe('8000');
  });

  it.each(['vllm-gemma', 'vllm-ocr'])('reserves an NVIDIA GPU for %s', (name) => {
    const devices = config.services[name].deploy?.resources?.reservations?.devices ?? [];
    const gpu = devices.find((d) => d.driver === 'nvidia' && (d.capabilities ?? []).includes('gpu'));
    expect(gpu).toBeDefined();
    const claimsDevices = (gpu?.device_ids ?? []).length > 0 || gpu?.count === 'all' || Number(gpu?.count) >= 1;
    expect(claimsDevices).toBe(true);
  });

  it('runs a single-node KRaft Kafka with broker auto topic creation off', () => {
    const kafka = config.services.kafka;
    expect(kafka.image).toBe('apache/kafka:4.1.1');
    const env = envOf(kafka);
    expect(env.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
    expect(env.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(env.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR).toBe('1');
    expect(env.KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR).toBe('1');
    expect(env.KAFKA_TRANSACTION_STATE_LOG_MIN_ISR).toBe('1');
    expect(env.KAFKA_CONTROLLER_QUORUM_VOTERS).toMatch(/^1@/);
  });

  it('gives each worker its pool and as many in-flight slots as its vLLM server has sequences', () => {
    const pairs: Array<[string, string, string]> = [
      ['worker-gemma', 'gemma', 'vllm-gemma'],
      ['worker-ocr', 'deepseek-ocr', 'vllm-ocr'],
    ];
    for (const [worker, pool, backend] of pairs) {
      const env = envOf(config.services[worker]);
      expect(env.WORKER_POOL).toBe(pool);
      expect(env.WORKER_MAX_CONCURRENT).toBe(flagValue(argsOf(config.services[backend]), '--max-num-seqs'));
      expect(dependsOn(config.services[worker])[backend]).toBe('service_healthy');
    }
    expect(envOf(config.services['worker-gemma']).GEMMA_BACKEND_URL).toBe('http://vllm-gemma:8000');
    expect(envOf(config.services['worker-ocr']).OCR_BACKEND_URL).toBe('http://vllm-ocr:8001');
  });

  it('runs topics and migrations once, before the apps start', () => {
    for (const job of ['topics', 'migrate']) {
      expect(config.services[job].restart).toBe('no');
      expect(config.services[job].build?.dockerfile).toBe('docker/Dockerfile');
    }
    expect(argsOf(config.services.topics)).toEqual(['node', 'dist/libs/kafka/src/cli/bootstrap-topics.js']);
    expect(argsOf(config.services.migrate)).toEqual(['node', 'dist/libs/db/src/cli/migrate.js']);
    for (const app of ['gateway', 'worker-gemma', 'worker-ocr', 'recorder']) {
      const deps = dependsOn(config.services[app]);
      expect(deps.topics).toBe('service_completed_successfully');
      expect(deps.migrate).toBe('service_completed_successfully');
      expect(deps.kafka).toBe('service_healthy');
      expect(config.services[app].build?.dockerfile).toBe('docker/Dockerfile');
    }
  });

  it('passes the secrets from the environment into the apps', () => {
    const gateway = envOf(config.services.gateway);
    expect(gateway.GANTRY_JWT_SECRET).toBe(SECRETS.GANTRY_JWT_SECRET);
    expect(gateway.DATABASE_URL).toBe(
      `postgres://gantry:${SECRETS.POSTGRES_PASSWORD}@postgres:5432/gantry`,
    );
    expect(gateway.NODE_ENV).toBe('production');
    expect(gateway.PORT).toBe('8080');
    expect(envOf(config.services.postgres).POSTGRES_PASSWORD).toBe(SECRETS.POSTGRES_PASSWORD);
    expect(envOf(config.services['vllm-gemma']).HUGGING_FACE_HUB_TOKEN).toBe(SECRETS.HUGGING_FACE_HUB_TOKEN);
  });

  it('passes the first admin (GANTRY_ADMIN_USER / GANTRY_ADMIN_PASSWORD) to the gateway, empty when unset', () => {
    // Unset: the gateway gets an empty password, which its env validation treats as unset.
    const gateway = envOf(config.services.gateway);
    expect(gateway.GANTRY_ADMIN_USER).toBe('admin');
    expect(gateway.GANTRY_ADMIN_PASSWORD).toBe('');
    const vars = { ...SECRETS, GANTRY_ADMIN_USER: 'root', GANTRY_ADMIN_PASSWORD: 'a-long-admin-password' };
    const withAdmin = compose(['config'], vars);
    expect(withAdmin.status).toBe(0);
    const env = envOf(toJson(withAdmin.stdout, vars).services.gateway);
    expect(env.GANTRY_ADMIN_USER).toBe('root');
    expect(env.GANTRY_ADMIN_PASSWORD).toBe('a-long-admin-password');
    // The example env file lists them, so operators see they exist.
    const example = readFileSync(join(ROOT, 'docker/env.example'), 'utf8');
    expect(example).toMatch(/^GANTRY_ADMIN_USER=/m);
    expect(example).toMatch(/^GANTRY_ADMIN_PASSWORD=/m);
  });

  it.each(Object.keys(SECRETS))('refuses to render without %s (no default for a secret)', (missing) => {
    const vars = Object.fromEntries(Object.entries(SECRETS).filter(([k]) => k !== missing));
    const result = compose(['config'], vars);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(missing);
  });
});

describe('docker/Dockerfile and .dockerignore', () => {
  const dockerfile = readFileSync(join(ROOT, 'docker/Dockerfile'), 'utf8');
  const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  it('runs the production stage as a non-root user with runtime dependencies only', () => {
    const stages = dockerfile.split(/^FROM /m).slice(1);
    const last = stages[stages.length - 1];
    expect(last).toContain('npm ci --omit=dev');
    expect(last).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
    const users = [...last.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
    expect(users.length).toBeGreaterThan(0);
    expect(['root', '0']).not.toContain(users[users.length - 1]);
  });

  it('keeps node_modules, dist, .git and .env out of the build context', () => {
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git', '.env']));
  });
});
