import type { FastifyInstance, FastifyRequest } from 'fastify';
import { childOf, newTrace, parseTraceparent, runWithTrace, type TraceContext } from '@gantry/common';
import { BACKEND_MODEL, poolOfModel, type PoolName } from '@gantry/contracts';
import { httpRequestDuration, httpRequestsTotal } from '@gantry/metrics';

export const TRACE_ID_HEADER = 'x-trace-id';

const traces = new WeakMap<FastifyRequest, TraceContext>();

/** `vendor` and `model` labels: the backend kind and served model when the body names a known model. */
export function requestLabels(body: unknown, vendorOf: (pool: PoolName) => string): { vendor: string; model: string } {
  const model = body && typeof body === 'object' && 'model' in body ? (body as { model: unknown }).model : undefined;
  const pool = typeof model === 'string' ? poolOfModel(model) : undefined;
  // Unknown model names stay out of the labels: clients choose them, so their number is unbounded.
  return pool ? { vendor: vendorOf(pool), model: BACKEND_MODEL[pool] } : { vendor: 'gantry', model: '' };
}

/**
 * Per-request observability on the gateway's Fastify instance:
 * - trace context: an incoming W3C `traceparent` is continued (a new span of the same trace),
 *   otherwise a trace starts here. It is active while the request is handled, so every log line
 *   carries `trace_id` and every Kafka message published for the request carries `traceparent`.
 *   The response names it in `X-Trace-Id`.
 * - `api_gateway_requests_total` and `http_request_duration_seconds`, labelled with the route
 *   pattern (`/api/jobs/:id`), never the raw URL; requests no route matched are `unmatched`.
 */
export function registerRequestHooks(fastify: FastifyInstance, vendorOf: (pool: PoolName) => string): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const header = request.headers.traceparent;
    const parent = parseTraceparent(typeof header === 'string' ? header : undefined);
    const ctx = parent ? childOf(parent) : newTrace();
    traces.set(request, ctx);
    void reply.header(TRACE_ID_HEADER, ctx.traceId);
    runWithTrace(ctx, done);
  });
  // Body parsing runs on stream events outside the context: enter it again for the handler.
  fastify.addHook('preHandler', (request, _reply, done) => {
    const ctx = traces.get(request);
    if (ctx) runWithTrace(ctx, done);
    else done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const endpoint = request.routeOptions.url ?? 'unmatched';
    const status = String(reply.statusCode);
    const { vendor, model } = requestLabels(request.body, vendorOf);
    httpRequestsTotal.inc({ method: request.method, endpoint, status, vendor, model });
    httpRequestDuration.observe({ method: request.method, endpoint, status }, reply.elapsedTime / 1000);
    done();
  });
}
