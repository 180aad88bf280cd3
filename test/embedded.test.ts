import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { postForm } from './support/http';
import { freePort } from './support/operations';
import { chatBody, createStack, submitChat, waitTerminal, type TestStack } from './support/stack';

const MAIN = join(__dirname, '..', 'dist', 'src', 'main.js');

/**
 * What `npm start` runs (`dist/src/main.js`: every app in one process, its own simulator, the
 * development defaults), driven the way the README tells a new user to: read the URL and the
 * generated admin password from its output, get a token, submit, poll. Only the ports, schema and
 * prefixes are this test's own, so it can share the machine.
 */
describe('npm start (the embedded process)', () => {
  let stack: TestStack;
  let child: ChildProcess | undefined;
  let output = '';

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test does)`);
    stack = await createStack();
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await stack?.stop();
  });

  it('serves a first chat job end to end, prints the first admin once, and stops cleanly on SIGTERM', async () => {
    const [port, simPort] = [await freePort(), await freePort()];
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      PORT: String(port),
      SIM_PORT: String(simPort),
      GEMMA_BACKEND_URL: `http://127.0.0.1:${simPort}`,
      DATABASE_SCHEMA: stack.env.DATABASE_SCHEMA,
      KAFKA_TOPIC_PREFIX: stack.env.KAFKA_TOPIC_PREFIX,
      REDIS_PREFIX: stack.env.REDIS_PREFIX,
    };
    delete env.GANTRY_JWT_SECRET;
    delete env.GANTRY_ADMIN_USER;
    delete env.GANTRY_ADMIN_PASSWORD;
    child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const up = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 90_000);
      const check = () => output.includes('Then poll it:') && (clearTimeout(timer), resolve(true));
      child!.stdout!.on('data', check);
      child!.once('exit', () => (clearTimeout(timer), resolve(false)));
    });
    expect(up).toBe(true);

    const url = /Gantry is running on (http:\/\/\S+)/.exec(output)![1];
    expect(url).toBe(`http://127.0.0.1:${port}`);
    const password = /password: (\S+)/.exec(output)![1];
    expect(password.length).toBeGreaterThanOrEqual(16);

    const login = await postForm(url, '/auth/token', { username: 'admin', password });
    expect(login.status).toBe(200);
    const auth = { authorization: `Bearer ${login.body.access_token as string}`, 'x-client-id': 'my_app' };
    const { status, body } = await submitChat(url, chatBody('What is 2+2?', { max_tokens: 32 }), auth);
    expect(status).toBe(202);
    const done = await waitTerminal(url, body.request_id as string, 30_000, auth);
    expect(done.status).toBe('succeeded');
    expect(done.client_id).toBe('my_app');

    // Printed once, and never in a log line.
    expect(output.match(/password: /g)).toHaveLength(1);
    expect(output.split('\n').filter((l) => l.startsWith('{') && l.includes(password))).toEqual([]);

    child.kill('SIGTERM');
    // Exit code 0 after closing every app, not death by the re-raised signal.
    const exit = await new Promise<string>((resolve) => child!.once('exit', (code, signal) => resolve(`${code}/${signal}`)));
    expect(exit).toBe('0/null');
  });
});
