import { Logger } from '@nestjs/common';
import { JsonLogger } from '@gantry/common';
import { EmbeddedEnv, GatewayEnv, loadEnv, RecorderEnv, WebhooksEnv, WorkerEnv } from '@gantry/config';
import { migrate } from '@gantry/db';
import { createKafka, ensureTopics, TopicNamer } from '@gantry/kafka';
import { bootstrapGateway } from '../apps/gateway/src/gateway.bootstrap';
import { bootstrapRecorder } from '../apps/recorder/src/recorder.bootstrap';
import { startSimulator } from '../apps/vllm-sim/src/simulator';
import { bootstrapWebhooks } from '../apps/webhooks/src/webhooks.bootstrap';
import { bootstrapWorker } from '../apps/worker/src/worker.bootstrap';

/**
 * The embedded default: every app in one process (DESIGN.md §1), with the vLLM simulator as the
 * chat backend unless GEMMA_BACKEND_URL points at a real server. Applies migrations and creates
 * topics first, since nobody else will on a laptop.
 */
async function main(): Promise<void> {
  const embedded = loadEnv(EmbeddedEnv);
  const gatewayEnv = loadEnv(GatewayEnv);
  const logger = new JsonLogger(embedded.LOG_LEVEL, { app: 'gantry' });
  Logger.overrideLogger(logger);

  const closers: Array<() => Promise<void>> = [];
  if (embedded.SIM_ENABLED === 'true') {
    const sim = await startSimulator({ port: embedded.SIM_PORT });
    closers.push(() => sim.close());
    logger.log({ msg: 'vLLM simulator listening', url: sim.url });
  }

  const applied = await migrate(gatewayEnv);
  if (applied.length) logger.log({ msg: 'migrations applied', migrations: applied });
  await ensureTopics(createKafka(gatewayEnv, 'gantry-bootstrap'), new TopicNamer(gatewayEnv.KAFKA_TOPIC_PREFIX), gatewayEnv.KAFKA_JOB_PARTITIONS);

  // One process, one /metrics and /health: the gateway's port serves them for every app.
  const own = { HEALTH_PORT: 0 };
  const [worker, recorder] = await Promise.all([bootstrapWorker(loadEnv(WorkerEnv, process.env, own), logger), bootstrapRecorder(loadEnv(RecorderEnv, process.env, own), logger)]);
  closers.unshift(() => worker.close(), () => recorder.close());
  // OCR: DeepSeek-OCR at OCR_BACKEND_URL when set, else tesseract on this machine's CPU.
  const ocrWorker = await bootstrapWorker(loadEnv(WorkerEnv, process.env, { ...own, WORKER_POOL: 'deepseek-ocr' }), logger);
  closers.unshift(() => ocrWorker.close());
  const webhooks = await bootstrapWebhooks(loadEnv(WebhooksEnv, process.env, own), logger);
  closers.unshift(() => webhooks.close());
  const gateway = await bootstrapGateway(gatewayEnv, logger);
  closers.unshift(() => gateway.close());

  logger.log({ msg: 'Gantry is up', url: gateway.url });
  // Shown once, here only (never logged): the generated first admin of a fresh development database.
  const admin = gateway.firstAdmin;
  const credentials = admin
    ? `First admin created with a generated password, shown only this once:\n` +
      `  username: ${admin.username}\n  password: ${admin.password}\n\n`
    : '';
  process.stdout.write(
    `\nGantry is running on ${gateway.url}\n\n${credentials}Get a token (the admin can create client users and API keys, see README "Security"):\n` +
      `  TOKEN=$(curl -s -X POST ${gateway.url}/auth/token -d 'username=<user>&password=<password>' | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')\n` +
      `Submit a first job:\n` +
      `  curl -s -X POST ${gateway.url}/api/chat -H "Authorization: Bearer $TOKEN" -H 'X-Client-ID: my_app' -H 'Content-Type: application/json' \\\n` +
      `    -d '{"model":"gemma-3-4b-it","messages":[{"role":"user","content":"What is 2+2?"}],"max_tokens":32}'\n` +
      `Then poll it:\n  curl -s -H "Authorization: Bearer $TOKEN" ${gateway.url}/api/jobs/<request_id>\n\n`,
  );

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    for (const close of closers) await close().catch((err: unknown) => logger.error({ msg: 'shutdown error', err: String(err) }));
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`Gantry failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
