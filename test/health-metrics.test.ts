import { randomUUID } from 'node:crypto';
import { Topics } from '@gantry/contracts';
import type { RunningGateway } from '../apps/gateway/src/gateway.bootstrap';
import type { RunningRecorder } from '../apps/recorder/src/recorder.bootstrap';
import type { RunningWebhooks } from '../apps/webhooks/src/webhooks.bootstrap';
import { startSimulator, type Simulator } from '../apps/vllm-sim/src/simulator';
import type { RunningWorker } from '../apps/worker/src/worker.bootstrap';
import { RawProducer } from './support/kafka-helpers';
import { freePort, getJson, metricValue, scrape } from './support/operations';
import { chatBody, createStack, getJob, submitChat, waitFor, waitTerminal, type TestStack } from './support/stack';

interface Ready {
  status: 'ok' | 'error';
  info: Record<string, { status: string }>;
  error: Record<string, { status: string; message?: string }>;
  details: Record<string, { status: string }>;
}

/** `/health`, `/health/ready` (Terminus) and `/metrics` (Prometheus) on the gateway and on the workers', recorders' and webhooks apps' own ports. */
describe('health and metrics', () => {
  let stack: TestStack;
  let gw: RunningGateway;
  let worker: RunningWorker;
  let recorder: RunningRecorder;
  let webhooks: RunningWebhooks;
  let revived: Simulator | undefined;

  beforeAll(async () => {
    stack = await createStack();
    gw = await stack.startGateway();
    worker = await stack.startWorker({ HEALTH_PORT: String(await freePort()), HEALTH_HOST: '127.0.0.1' });
    recorder = await stack.startRecorder({ HEALTH_PORT: String(await freePort()), HEALTH_HOST: '127.0.0.1' });
    webhooks = await stack.startWebhooks({ HEALTH_PORT: String(await freePort()), HEALTH_HOST: '127.0.0.1' });
  });
  afterAll(async () => {
    await stack?.stop();
    await revived?.close();
  });

  describe('health', () => {
    it('answers liveness without credentials, in the reference shape', async () => {
      for (const url of [gw.url, worker.healthUrl!, recorder.healthUrl!, webhooks.healthUrl!]) {
        const { status, body } = await getJson<{ status: string; timestamp: string }>(`${url}/health`);
        expect(status).toBe(200);
        expect(body).toEqual({ status: 'healthy', timestamp: expect.any(String) });
        expect(Date.now() - Date.parse(body.timestamp)).toBeLessThan(60_000);
      }
    });

    it('is ready when Postgres, Redis, Kafka and the pool backend answer', async () => {
      const gateway = await getJson<Ready>(`${gw.url}/health/ready`);
      expect(gateway.status).toBe(200);
      expect(gateway.body.status).toBe('ok');
      expect(Object.keys(gateway.body.details).sort()).toEqual(['backend:gemma', 'kafka', 'postgres', 'redis']);
      expect(Object.values(gateway.body.details).every((d) => d.status === 'up')).toBe(true);

      const w = await getJson<Ready>(`${worker.healthUrl}/health/ready`);
      expect(w.status).toBe(200);
      expect(Object.keys(w.body.details).sort()).toEqual(['backend:gemma', 'kafka', 'redis']);
      const r = await getJson<Ready>(`${recorder.healthUrl}/health/ready`);
      expect(r.status).toBe(200);
      expect(Object.keys(r.body.details).sort()).toEqual(['kafka', 'postgres', 'redis']);
      const wh = await getJson<Ready>(`${webhooks.healthUrl}/health/ready`);
      expect(wh.status).toBe(200);
      expect(Object.keys(wh.body.details).sort()).toEqual(['kafka', 'postgres']);
    });

    it('turns unhealthy (503) when the model server stops, and healthy again when it returns', async () => {
      const port = Number(new URL(stack.sim.url).port);
      await stack.sim.close();

      const down = await waitFor(async () => {
        const res = await getJson<Ready>(`${gw.url}/health/ready`);
        return res.status === 503 ? res : null;
      }, 'the gateway to report not ready');
      expect(down.body.status).toBe('error');
      expect(down.body.error['backend:gemma'].status).toBe('down');
      expect(down.body.info).toMatchObject({ postgres: { status: 'up' }, redis: { status: 'up' }, kafka: { status: 'up' } });
      const workerDown = await getJson<Ready>(`${worker.healthUrl}/health/ready`);
      expect(workerDown.status).toBe(503);
      expect(workerDown.body.error['backend:gemma'].status).toBe('down');
      // The recorder does not depend on the model server.
      expect((await getJson<Ready>(`${recorder.healthUrl}/health/ready`)).status).toBe(200);
      // Liveness does not depend on anything.
      expect((await getJson(`${gw.url}/health`)).status).toBe(200);

      revived = await startSimulator({ port });
      const up = await waitFor(async () => {
        const res = await getJson<Ready>(`${gw.url}/health/ready`);
        return res.status === 200 ? res : null;
      }, 'the gateway to report ready again');
      expect(up.body.details['backend:gemma'].status).toBe('up');
      expect((await getJson<Ready>(`${worker.healthUrl}/health/ready`)).status).toBe(200);
    });

    it('answers unknown paths and methods of the health port with JSON errors', async () => {
      const missing = await getJson<{ code: string }>(`${worker.healthUrl}/nope`);
      expect(missing.status).toBe(404);
      expect(missing.body.code).toBe('not_found');
      const post = await fetch(`${recorder.healthUrl}/health`, { method: 'POST' });
      expect(post.status).toBe(405);
      expect(((await post.json()) as { code: string }).code).toBe('method_not_allowed');
    });
  });

  describe('metrics', () => {
    const prefix = () => stack.env.KAFKA_TOPIC_PREFIX;

    it('counts requests by route pattern, jobs by pool/priority/outcome, latency histograms and tokens', async () => {
      const before = (await scrape(gw.url)).samples;
      const { status, body } = await submitChat(gw.url, chatBody(`metrics probe ${randomUUID()}`), stack.auth('metrics-app', { 'x-priority': 'high' }));
      expect(status).toBe(202);
      const id = body.request_id as string;
      await waitTerminal(gw.url, id);
      expect((await getJob(gw.url, id)).status).toBe(200);
      expect((await fetch(`${gw.url}/no/such/route/${id}`)).status).toBe(404);
      const after = await scrape(gw.url);
      expect(after.contentType).toMatch(/^text\/plain/);
      const delta = (name: string, labels: Record<string, string>) => metricValue(after.samples, name, labels) - metricValue(before, name, labels);

      expect(delta('api_gateway_requests_total', { method: 'POST', endpoint: '/api/chat', status: '202', vendor: 'vllm', model: 'gemma-3-4b-it' })).toBe(1);
      expect(delta('api_gateway_requests_total', { method: 'GET', endpoint: '/api/jobs/:id', status: '200', vendor: 'gantry' })).toBeGreaterThanOrEqual(2);
      expect(delta('api_gateway_requests_total', { method: 'GET', endpoint: 'unmatched', status: '404' })).toBe(1);
      expect(delta('http_request_duration_seconds_count', { method: 'POST', endpoint: '/api/chat', status: '202' })).toBe(1);
      // Labels carry route patterns, never raw URLs or ids.
      expect(after.text).not.toContain(id);

      expect(delta('gantry_jobs_submitted_total', { pool: 'gemma', priority: 'high' })).toBe(1);
      expect(delta('gantry_jobs_finished_total', { pool: 'gemma', priority: 'high', status: 'succeeded' })).toBe(1);
      expect(delta('gantry_job_queue_wait_seconds_count', { pool: 'gemma', priority: 'high' })).toBe(1);
      expect(delta('gantry_job_run_seconds_count', { pool: 'gemma', priority: 'high', status: 'succeeded' })).toBe(1);
      expect(delta('gantry_job_end_to_end_seconds_count', { pool: 'gemma', priority: 'high', status: 'succeeded' })).toBe(1);
      expect(delta('gantry_tokens_total', { pool: 'gemma', type: 'completion' })).toBeGreaterThan(0);
      expect(delta('gantry_tokens_total', { pool: 'gemma', type: 'prompt' })).toBeGreaterThan(0);
      // Process metrics come with the registry.
      expect(metricValue(after.samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    });

    it('counts retries and dead letters', async () => {
      const before = (await scrape(gw.url)).samples;
      const { body } = await submitChat(gw.url, chatBody(`[[sim:fail=500:1]] retry probe ${randomUUID()}`), stack.auth('metrics-app'));
      expect((await waitTerminal(gw.url, body.request_id as string)).status).toBe('succeeded');
      const producer = await RawProducer.connect(stack);
      try {
        await producer.send(Topics.jobs('gemma', 'low'), randomUUID(), 'not json');
      } finally {
        await producer.disconnect();
      }
      const labels = { group: `${prefix()}gantry.worker.gemma`, topic: `${prefix()}${Topics.jobs('gemma', 'low')}` };
      const after = await waitFor(async () => {
        const s = (await scrape(gw.url)).samples;
        return metricValue(s, 'gantry_dead_letters_total', labels) - metricValue(before, 'gantry_dead_letters_total', labels) === 1 ? s : null;
      }, 'the dead letter to be counted');
      expect(metricValue(after, 'gantry_job_retries_total', { pool: 'gemma', code: 'backend_error' }) - metricValue(before, 'gantry_job_retries_total', { pool: 'gemma', code: 'backend_error' })).toBe(1);
      // The recorder dead-letters the same record in its own group.
      await waitFor(async () => {
        const s = (await scrape(gw.url)).samples;
        const l = { group: `${prefix()}gantry.recorder`, topic: labels.topic };
        return metricValue(s, 'gantry_dead_letters_total', l) - metricValue(before, 'gantry_dead_letters_total', l) === 1;
      }, 'the recorder dead letter to be counted');
    });

    it('shows the Kafka backlog of a pool and its workers’ in-flight and waiting jobs', async () => {
      const group = `${prefix()}gantry.worker.gemma`;
      const topic = `${prefix()}${Topics.jobs('gemma', 'normal')}`;
      // The worker is idle: its group's lag drops to zero once it has committed.
      const settled = await waitFor(async () => {
        const s = (await scrape(gw.url)).samples;
        const lag = s.find((x) => x.name === 'gantry_kafka_consumer_lag' && x.labels.group === group && x.labels.topic === topic);
        return lag && lag.value === 0 ? s : null;
      }, 'the pool lag to be reported as 0', 30_000, 500);
      expect(settled.some((x) => x.name === 'gantry_worker_in_flight' && x.labels.pool === 'gemma')).toBe(true);
      expect(settled.filter((x) => x.name === 'gantry_worker_waiting' && x.labels.pool === 'gemma').map((x) => x.labels.priority).sort()).toEqual(['high', 'low', 'normal']);

      // The worker's and the recorder's own ports serve the same registry's metrics.
      const own = await scrape(worker.healthUrl!);
      expect(own.samples.some((x) => x.name === 'gantry_kafka_consumer_lag' && x.labels.group === group)).toBe(true);
      const rec = await scrape(recorder.healthUrl!);
      expect(rec.samples.some((x) => x.name === 'gantry_kafka_consumer_lag' && x.labels.group === `${prefix()}gantry.recorder`)).toBe(true);
      const wh = await scrape(webhooks.healthUrl!);
      expect(wh.samples.some((x) => x.name === 'gantry_kafka_consumer_lag' && x.labels.group === `${prefix()}gantry.webhooks`)).toBe(true);
    });
  });
});
