import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningGateway } from '../apps/gateway/src/gateway.bootstrap';
import { Receiver } from './support/receiver';
import { chatBody, createStack, submitChat, waitFor, type TestStack } from './support/stack';

const WEBHOOKS = join(__dirname, '..', 'dist', 'apps', 'webhooks', 'src', 'main.js');

/**
 * The webhooks app killed with SIGKILL while a delivery is in flight loses nothing: the delivery's
 * offset was not committed, so the restarted app sends it again, with the same webhook-id.
 */
describe('webhooks app killed mid-delivery', () => {
  let stack: TestStack;
  let gw: RunningGateway;
  const rx = new Receiver();
  const children: ChildProcess[] = [];

  function startWebhooksProcess(): ChildProcess {
    const child = spawn(process.execPath, [WEBHOOKS], {
      env: { ...process.env, ...stack.env, KAFKA_SESSION_TIMEOUT_MS: '6000', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
    return child;
  }

  beforeAll(async () => {
    if (!existsSync(WEBHOOKS)) throw new Error(`${WEBHOOKS} is missing: run \`npm run build\` first (npm test does)`);
    await rx.start();
    stack = await createStack({ env: { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', KAFKA_SESSION_TIMEOUT_MS: '6000' } });
    gw = await stack.startGateway();
    await Promise.all([stack.startWorker(), stack.startRecorder()]);
  });
  afterAll(async () => {
    children.forEach((c) => c.exitCode === null && c.kill('SIGKILL'));
    await stack?.stop();
    await rx.close();
  });

  it('delivers after a restart, with the same webhook-id', async () => {
    // The first call hangs (the receiver never answers it); later calls succeed.
    rx.on('/slow', (_r, res, n) => {
      if (n > 1) res.writeHead(200).end();
    });
    const first = startWebhooksProcess();
    const { body } = await submitChat(gw.url, chatBody('deliver through a crash', { webhook: `${rx.url}/slow` }), stack.auth('crash'));
    await waitFor(async () => rx.at('/slow').length >= 1, 'the delivery to be in flight', 60_000);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));

    startWebhooksProcess();
    await waitFor(async () => rx.at('/slow').length >= 2, 'the delivery after restart', 75_000, 100);
    const [inFlight, redelivered] = rx.at('/slow');
    expect(redelivered.headers['webhook-id']).toBe(inFlight.headers['webhook-id']);
    expect(JSON.parse(redelivered.body).data.request_id).toBe(body.request_id);
    const rows = await waitFor(async () => {
      const r = await stack.pg.query(`SELECT outcome FROM webhook_deliveries WHERE request_id = $1 AND outcome = 'delivered'`, [body.request_id]);
      return r.rowCount ? r.rows : null;
    }, 'the delivered record');
    expect(rows).toHaveLength(1);
  });
});
