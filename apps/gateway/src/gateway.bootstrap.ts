import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { GatewayEnv } from '@gantry/config';
import { createKafka, GantryProducer, TopicNamer } from '@gantry/kafka';
import { createRedis } from '@gantry/redis';
import { ApiError, ApiErrorCode } from './errors/api-error';
import { GatewayModule } from './gateway.module';

export interface RunningGateway {
  app: NestFastifyApplication;
  url: string;
  close(): Promise<void>;
}

export async function bootstrapGateway(env: GatewayEnv, logger?: LoggerService): Promise<RunningGateway> {
  const namer = new TopicNamer(env.KAFKA_TOPIC_PREFIX);
  const producer = new GantryProducer(createKafka(env, 'gantry-gateway'), namer);
  await producer.connect();
  const redis = createRedis(env);

  const adapter = new FastifyAdapter({ bodyLimit: env.MAX_BODY_BYTES, trustProxy: true });
  // Nest turns Fastify's parser errors into bare HttpExceptions; parsing JSON ourselves keeps a
  // stable `invalid_json` code instead of a status and a message.
  const fastify = adapter.getInstance();
  // Only JSON is accepted (text/plain is not a body we understand): anything else is a 415.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    if (body === '') return done(new ApiError(ApiErrorCode.InvalidJson, 'Request body is empty; send a JSON object'), undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(new ApiError(ApiErrorCode.InvalidJson, 'Request body is not valid JSON'), undefined);
    }
  });

  const app = await NestFactory.create<NestFastifyApplication>(GatewayModule.forRoot(env, { producer, redis }), adapter, {
    logger: logger ?? false,
    bodyParser: false,
  });
  app.enableShutdownHooks();
  await app.listen(env.PORT, env.HOST);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : env.PORT;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    async close() {
      await app.close();
      await producer.disconnect();
      redis.disconnect();
    },
  };
}
