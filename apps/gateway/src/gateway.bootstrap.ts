import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import multipart from '@fastify/multipart';
import { GatewayEnv } from '@gantry/config';
import { createKafka, GantryProducer, KafkaInspector, PoolControlReader, PoolControlWriter, TopicNamer } from '@gantry/kafka';
import { PdfEngine } from '@gantry/media';
import { enableProcessMetrics } from '@gantry/metrics';
import { createRedis } from '@gantry/redis';
import { FirstAdminService, type GeneratedAdmin } from './auth/first-admin.service';
import { RAW_JSONL_TYPES } from './batches/bulk-batches.service';
import { ApiError, ApiErrorCode } from './errors/api-error';
import { GatewayModule } from './gateway.module';
import { countSubmittedJobs } from './health/job-submit-metrics';
import { vendorOf } from './health/operations.module';
import { registerRequestHooks } from './health/request-hooks';
import { registerUnreadBodyDrain } from './http/unread-body';

export interface RunningGateway {
  app: NestFastifyApplication;
  url: string;
  /** Set when this start created the first admin with a generated password: print it once. */
  firstAdmin: GeneratedAdmin | null;
  close(): Promise<void>;
}

export async function bootstrapGateway(env: GatewayEnv, logger?: LoggerService): Promise<RunningGateway> {
  const namer = new TopicNamer(env.KAFKA_TOPIC_PREFIX);
  const producer = new GantryProducer(createKafka(env, 'gantry-gateway'), namer, { onDelivered: countSubmittedJobs });
  await producer.connect();
  const redis = createRedis(env);
  // Admission control reads the pools' consumer lag; a short timeout keeps submits from hanging on it.
  const inspector = new KafkaInspector(createKafka(env, 'gantry-gateway-admission'), namer, 2_000);
  // Pools' desired state (the OCR default resolution): read in full before the first request.
  const control = new PoolControlReader(createKafka(env, 'gantry-gateway-control'), namer);
  await control.start();
  const pdf = new PdfEngine();

  const adapter = new FastifyAdapter({ bodyLimit: env.MAX_BODY_BYTES, trustProxy: true });
  // Nest turns Fastify's parser errors into bare HttpExceptions; parsing JSON ourselves keeps a
  // stable `invalid_json` code instead of a status and a message.
  const fastify = adapter.getInstance();
  // Trace context and HTTP metrics for every request, labelled by route pattern.
  enableProcessMetrics();
  registerRequestHooks(fastify, vendorOf(env));
  // The largest body a route takes: the rest of a refused upload up to that size is read, not left.
  registerUnreadBodyDrain(fastify, Math.max(env.BATCH_MAX_FILE_BYTES, env.MAX_UPLOAD_BYTES));
  // Only JSON is accepted (text/plain is not a body we understand): anything else is a 415.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    // Action routes (cancel, replay, rotate) take no body; clients often still send the header.
    if (body === '') return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(new ApiError(ApiErrorCode.InvalidJson, 'Request body is not valid JSON'), undefined);
    }
  });
  // Uploads (POST /api/ocr) may be larger than other bodies.
  fastify.addHook('onRoute', (route) => {
    if (route.url === '/api/ocr') route.bodyLimit = env.MAX_UPLOAD_BYTES;
  });
  // Bulk batches (`POST /api/batches`) may send their JSONL as the raw body: handed over as the
  // request stream, never buffered (the intake streams it line by line and enforces its limits).
  fastify.addContentTypeParser(RAW_JSONL_TYPES, (req, payload, done) => {
    if (req.url.split('?')[0] !== '/api/batches') return done(new ApiError(ApiErrorCode.UnsupportedMediaType, 'Unsupported Content-Type; send application/json'), undefined);
    done(null, payload);
  });
  // OAuth2-style form bodies (reference 002: `curl -d "username=…&password=…"`), on /auth/* only.
  fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (req, body, done) => {
    if (!req.url.startsWith('/auth/')) return done(new ApiError(ApiErrorCode.UnsupportedMediaType, 'Unsupported Content-Type; send application/json'), undefined);
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  const app = await NestFactory.create<NestFastifyApplication>(GatewayModule.forRoot(env, { producer, redis, inspector, ocr: { control, controlWriter: new PoolControlWriter(producer, control), pdf } }), adapter, {
    logger: logger ?? false,
    bodyParser: false,
  });
  // No enableShutdownHooks(): Nest would re-raise SIGTERM once the gateway alone had closed, killing
  // a process (`npm start`, runProcess) that is still draining its worker and recorder. Whoever runs
  // the gateway calls close() on SIGTERM, which runs the same shutdown hooks.
  // multipart/form-data for `curl -F file=@scan.png` on /api/ocr; the file is streamed, its size capped.
  await app.register(multipart, {
    limits: { fileSize: env.OCR_MAX_FILE_BYTES, files: 1, fields: 8, fieldSize: 8192, parts: 10, headerPairs: 100 },
  });
  const firstAdmin = await app.get(FirstAdminService).ensure();
  await app.listen(env.PORT, env.HOST);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : env.PORT;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    firstAdmin,
    async close() {
      await app.close();
      await producer.disconnect();
      await inspector.close();
      await control.close();
      await pdf.close();
      redis.disconnect();
    },
  };
}
