import { Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { STATUS_RANK, TERMINAL_STATUSES, type JobStatus, type JobView } from '@gantry/contracts';
import { ClientScope } from '../auth/client-scope';
import { ApiError, ApiErrorCode } from '../errors/api-error';
import { JobsService } from './jobs.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_WAIT_SECONDS = 60;
const SSE_HEARTBEAT_MS = 15_000;

function requestId(id: string): string {
  if (!UUID.test(id)) throw new ApiError(ApiErrorCode.InvalidRequestId, 'request_id must be a UUID');
  return id.toLowerCase();
}

/** `?wait=N` or `Prefer: wait=N` (RFC 7240), in seconds, at most 60. */
function waitSeconds(query: string | undefined, prefer: string | undefined): number | undefined {
  const raw = query ?? /(?:^|[,;\s])wait=(\d+)/i.exec(prefer ?? '')?.[1];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > MAX_WAIT_SECONDS) {
    throw new ApiError(ApiErrorCode.InvalidWait, `wait must be a whole number of seconds from 0 to ${MAX_WAIT_SECONDS}`);
  }
  return n;
}

@Controller('api/jobs')
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

  /** Poll a job; with `wait`, hold until it changes or finishes. Another client's job is a 404. */
  @Get(':id')
  async get(
    @Param('id') id: string,
    @Query('wait') wait: string | undefined,
    @Headers('prefer') prefer: string | undefined,
    @ClientScope() clientId: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<JobView> {
    const rid = requestId(id);
    const seconds = waitSeconds(wait, prefer);
    if (seconds === undefined) return this.jobs.get(rid, clientId || undefined);
    if (prefer && wait === undefined) void reply.header('preference-applied', `wait=${seconds}`);
    return this.jobs.wait(rid, clientId || undefined, seconds * 1000);
  }

  /**
   * Server-sent events: the current state, then each state change (`queued`, `running`,
   * `succeeded`, …) and, for chat, `token` chunks as the backend streams them. Ends after the
   * terminal state.
   */
  @Get(':id/events')
  async events(@Param('id') id: string, @ClientScope() clientId: string | undefined, @Res() reply: FastifyReply): Promise<void> {
    const rid = requestId(id);
    let rank = -1;
    let ended = false;
    const raw = reply.raw;
    const pending: string[] = [];
    let open = false;
    const write = (chunk: string) => (open ? raw.write(chunk) : pending.push(chunk));
    const finish = () => {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      stop?.();
      raw.end();
    };
    const sendState = (status: JobStatus, data: unknown) => {
      if (ended || STATUS_RANK[status] <= rank) return;
      rank = STATUS_RANK[status];
      write(`event: ${status}\ndata: ${JSON.stringify(data)}\n\n`);
      if (TERMINAL_STATUSES.has(status)) finish();
    };
    let stop: (() => void) | undefined;
    const heartbeat = setInterval(() => write(': keep-alive\n\n'), SSE_HEARTBEAT_MS);
    try {
      const watched = await this.jobs.watch(rid, clientId || undefined, (u) => {
        if (u.type === 'token') {
          if (!ended) write(`event: token\ndata: ${JSON.stringify({ index: u.index, delta: u.delta })}\n\n`);
        } else {
          sendState(u.status, u.view ?? { request_id: rid, status: u.status });
        }
      });
      stop = watched.stop;
      reply.hijack();
      raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      open = true;
      // Updates that arrived while we read the current state are flushed after it, in order.
      const early = pending.splice(0);
      sendState(watched.view.status, watched.view);
      early.forEach((c) => !ended && raw.write(c));
      raw.on('close', finish);
    } catch (err) {
      clearInterval(heartbeat);
      stop?.();
      throw err;
    }
  }

  /** Cancel: a queued job never runs; a running job has its upstream request aborted. */
  @Post(':id/cancel')
  @HttpCode(202)
  async cancel(@Param('id') id: string, @ClientScope() clientId: string | undefined) {
    const view = await this.jobs.cancel(requestId(id), clientId || undefined);
    return { request_id: view.request_id, status: 'cancelling', previous_status: view.status, message: 'Cancellation requested' };
  }
}
