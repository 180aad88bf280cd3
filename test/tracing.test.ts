import { randomBytes, randomUUID } from 'node:crypto';
import type { LoggerService } from '@nestjs/common';
import { currentTrace, parseTraceparent } from '@gantry/common';
import { loadEnv, RecorderEnv, WorkerEnv } from '@gantry/config';
import { Topics, type JobEvent, type JobMessage } from '@gantry/contracts';
import type { RunningGateway } from '../apps/gateway/src/gateway.bootstrap';
import { bootstrapRecorder, type RunningRecorder } from '../apps/recorder/src/recorder.bootstrap';
import { bootstrapWorker, type RunningWorker } from '../apps/worker/src/worker.bootstrap';
import { TopicReader } from './support/kafka-helpers';
import { chatBody, createStack, waitFor, waitTerminal, type TestStack } from './support/stack';

interface Line {
  message: unknown;
  /** The trace context active when the line was logged (what the JSON logger writes as trace_id/request_id). */
  traceId?: string;
  requestId?: string;
}

/** Keeps every log call with the trace context active at that moment. */
class CapturingLogger implements LoggerService {
  readonly lines: Line[] = [];
  private keep(message: unknown): void {
    const t = currentTrace();
    this.lines.push({ message, traceId: t?.traceId, requestId: t?.requestId });
  }
  log(m: unknown) {
    this.keep(m);
  }
  error(m: unknown) {
    this.keep(m);
  }
  warn(m: unknown) {
    this.keep(m);
  }
  debug(m: unknown) {
    this.keep(m);
  }
  verbose(m: unknown) {
    this.keep(m);
  }
}

/**
 * One job can be followed from the gateway to the recorder: the gateway continues (or starts) a
 * W3C trace and puts `traceparent` and `x-request-id` in the job message's Kafka headers; the
 * worker carries them onto every event it publishes; worker and recorder log both ids.
 */
describe('trace context through Kafka headers', () => {
  let stack: TestStack;
  let gw: RunningGateway;
  let worker: RunningWorker;
  let recorder: RunningRecorder;
  let jobs: TopicReader<JobMessage>;
  let events: TopicReader<JobEvent>;
  const logs = new CapturingLogger();

  beforeAll(async () => {
    stack = await createStack({ env: { LOG_LEVEL: 'debug' } });
    jobs = await TopicReader.start<JobMessage>(stack, Topics.jobs('gemma', 'normal'));
    events = await TopicReader.start<JobEvent>(stack, Topics.jobEvents);
    gw = await stack.startGateway();
    // Started last, with a logger: Nest's logger is process-wide, and the last app started sets it.
    const source = { ...process.env, ...stack.env };
    recorder = await bootstrapRecorder(loadEnv(RecorderEnv, source), logs);
    worker = await bootstrapWorker(loadEnv(WorkerEnv, source), logs);
  });
  afterAll(async () => {
    await worker?.close();
    await recorder?.close();
    await jobs?.stop();
    await events?.stop();
    await stack?.stop();
  });

  async function submit(headers: Record<string, string>) {
    const res = await fetch(`${gw.url}/api/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...stack.auth('trace-app', headers) },
      body: JSON.stringify(chatBody(`trace ${randomUUID()}`)),
    });
    expect(res.status).toBe(202);
    const id = ((await res.json()) as { request_id: string }).request_id;
    await waitTerminal(gw.url, id);
    const [message] = await waitFor(async () => {
      const hits = jobs.records.filter((r) => r.value?.request_id === id);
      return hits.length ? hits : null;
    }, 'the job message');
    const jobEvents = await waitFor(async () => {
      const hits = events.records.filter((r) => r.value?.request_id === id);
      return hits.some((r) => r.value?.type === 'succeeded') ? hits : null;
    }, 'the job events');
    return { id, responseTraceId: res.headers.get('x-trace-id'), message, jobEvents };
  }

  it('continues an incoming traceparent: same trace id on the job message and every event', async () => {
    const traceId = randomBytes(16).toString('hex');
    const parentSpan = randomBytes(8).toString('hex');
    const { id, responseTraceId, message, jobEvents } = await submit({ traceparent: `00-${traceId}-${parentSpan}-01` });

    expect(responseTraceId).toBe(traceId);
    const onMessage = parseTraceparent(message.headers.traceparent)!;
    expect(onMessage.traceId).toBe(traceId);
    expect(onMessage.spanId).not.toBe(parentSpan); // the gateway's own span
    expect(message.headers['x-request-id']).toBe(id);

    expect(jobEvents.map((e) => e.value?.type)).toEqual(expect.arrayContaining(['started', 'succeeded']));
    for (const e of jobEvents) {
      expect(parseTraceparent(e.headers.traceparent)?.traceId).toBe(traceId);
      expect(e.headers['x-request-id']).toBe(id);
    }
  });

  it('starts a trace when the request has none, or an invalid one', async () => {
    for (const headers of [{}, { traceparent: '00-not-a-trace-01' }] as Array<Record<string, string>>) {
      const { id, responseTraceId, message, jobEvents } = await submit(headers);
      const onMessage = parseTraceparent(message.headers.traceparent);
      expect(onMessage?.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(responseTraceId).toBe(onMessage!.traceId);
      expect(message.headers['x-request-id']).toBe(id);
      for (const e of jobEvents) expect(parseTraceparent(e.headers.traceparent)?.traceId).toBe(onMessage!.traceId);
    }
  });

  it('worker and recorder log the request id with the trace id', async () => {
    const traceId = randomBytes(16).toString('hex');
    const { id } = await submit({ traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` });
    const fields = (l: Line) => (l.message && typeof l.message === 'object' ? (l.message as Record<string, unknown>) : {});

    // Worker lines are written inside the job's trace context (the JSON logger adds both ids).
    const workerLines = logs.lines.filter((l) => l.requestId === id);
    expect(workerLines.length).toBeGreaterThan(0);
    expect(workerLines.every((l) => l.traceId === traceId)).toBe(true);
    expect(workerLines.some((l) => fields(l).msg === 'job dequeued')).toBe(true);

    // The recorder handles batches of many jobs, so it names the ids in the line itself.
    const recorded = await waitFor(async () => logs.lines.find((l) => fields(l).msg === 'job outcome recorded' && fields(l).request_id === id), 'the recorder line');
    expect(fields(recorded)).toMatchObject({ request_id: id, trace_id: traceId, status: 'succeeded' });
  });
});
