import { Logger } from '@nestjs/common';
import { CustomTransportStrategy, Server } from '@nestjs/microservices';
import type { Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import { isObservable, lastValueFrom } from 'rxjs';
import { errorStack, REQUEST_ID_HEADER, runWithTrace, TRACEPARENT, traceFromHeaders } from '@gantry/common';
import { InvalidMessageError, PRIORITIES, Topics, type DeadLetter, type Priority } from '@gantry/contracts';
import { deadLettersTotal } from '@gantry/metrics';
import { BatchContext, ScheduledContext, type ConsumedMessage, type ScheduledMessageMeta } from './context';
import type { TopicNamer } from './kafka';
import { PartitionTracker } from './offset-tracker';
import { PriorityQueues } from './priority-queues';
import type { GantryProducer } from './producer';

/** Why a handler gave up: the last error's message, and its stack when it threw an Error. */
interface HandlerFailure {
  message: string;
  stack?: string;
}

export interface KafkaRoute {
  /** The `@EventPattern` this route's messages go to. */
  pattern: string;
  /** Logical topic names (without prefix). */
  topics: string[];
  /** Validates a decoded value; throws InvalidMessageError (the message then goes to the DLQ). */
  validate: (value: unknown) => unknown;
  /** Priority mode: which queue a topic feeds. */
  priorityOf?: (topic: string) => Priority;
  /**
   * Delay topics: epoch ms before which a message must not run. The partition is paused until
   * then (nothing sleeps, nothing is held in memory) and the message is fetched again on resume.
   */
  notBefore?: (value: unknown) => number | undefined;
}

export interface SchedulerOptions {
  maxConcurrent: number;
  maxWaiting: number;
  agingMs: number;
}

export interface GantryKafkaOptions {
  kafka: Kafka;
  namer: TopicNamer;
  /** Logical consumer group id. */
  groupId: string;
  /** Used for dead letters. */
  producer: GantryProducer;
  /**
   * `priority`: each message is one job, run by the scheduler with bounded per-priority queues.
   * `batch`: each fetched partition batch goes to the handler as one array (bulk writes).
   */
  mode: 'priority' | 'batch';
  routes: KafkaRoute[];
  scheduler?: SchedulerOptions;
  /** Handler failures (a thrown error, not a job's own failure) are retried, then dead-lettered. */
  handlerRetry?: { attempts: number; baseMs: number; maxMs: number };
  partitionsConsumedConcurrently?: number;
  commitIntervalMs?: number;
  /** How long `close()` waits for in-flight jobs before aborting them. */
  drainTimeoutMs?: number;
  sessionTimeoutMs?: number;
  /** Fetch bounds; see `fetchBounds()` for the defaults of each mode. */
  fetch?: { maxBytes: number; maxBytesPerPartition: number };
}

interface Entry {
  route: KafkaRoute;
  value: unknown;
  meta: Omit<ScheduledMessageMeta, 'signal' | 'enqueuedAt' | 'priority'>;
  physicalTopic: string;
  tpKey: string;
  abort?: AbortController;
}

export interface SchedulerStats {
  inFlight: number;
  inFlightByPriority: Record<Priority, number>;
  maxConcurrent: number;
  /** Bound of each priority's in-memory queue. */
  maxWaiting: number;
  waiting: Record<Priority, number>;
  pausedTopics: string[];
  dispatching: boolean;
  /** Jobs handed to a handler since start (activity, for idle detection). */
  dispatched: number;
}

const MAX_TIMER_MS = 2 ** 31 - 1;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  // Equal jitter (half fixed, half random): spreads retries of many jobs hitting the same failing
  // backend while keeping a floor, so a retry never comes back almost at once.
  const cap = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(cap / 2 + Math.random() * (cap / 2));
}

/** The trace headers of a message, so a dead letter can be followed like the job it came from. */
function traceHeadersOf(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of [TRACEPARENT, REQUEST_ID_HEADER]) if (headers[k]) out[k] = headers[k];
  return out;
}

function headersOf(h: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.map(String).join(',') : v.toString();
  }
  return out;
}

/**
 * Nest custom transport on kafkajs (DESIGN.md §2). Apps declare handlers with `@EventPattern`;
 * this class owns the consumer, decoding and validation, dead letters, the priority scheduler,
 * and offset commits that never pass an unfinished message.
 */
export class GantryKafkaServer extends Server implements CustomTransportStrategy {
  protected override readonly logger = new Logger(GantryKafkaServer.name);
  private consumer?: Consumer;
  private readonly routeByTopic = new Map<string, KafkaRoute>();
  private readonly trackers = new Map<string, PartitionTracker>();
  private readonly queues?: PriorityQueues<Entry>;
  private readonly running = new Set<Entry>();
  /** Running entries that still hold a scheduler slot (see `ScheduledMessageMeta.releaseSlot`). */
  private readonly holdingSlot = new Set<Entry>();
  private readonly paused = new Map<string, Priority>();
  private readonly delayTimers = new Map<string, NodeJS.Timeout>();
  private commitTimer?: NodeJS.Timeout;
  /** Why dispatching is off (`pool`: the control topic; `server`: the model server is not up); none = on. */
  private readonly holds = new Set<string>();
  private get dispatching(): boolean {
    return this.holds.size === 0;
  }
  private closing = false;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(private readonly options: GantryKafkaOptions) {
    super();
    for (const route of options.routes) for (const t of route.topics) this.routeByTopic.set(t, route);
    if (options.mode === 'priority') {
      const s = options.scheduler;
      if (!s) throw new Error('priority mode needs scheduler options');
      this.queues = new PriorityQueues<Entry>(s.maxWaiting, s.agingMs);
    }
  }

  on(): never {
    throw new Error('GantryKafkaServer does not expose transport events');
  }

  unwrap<T>(): T {
    return this.consumer as T;
  }

  async listen(callback: (err?: unknown) => void): Promise<void> {
    try {
      this.checkHandlers();
      await this.start();
      callback();
    } catch (err) {
      callback(err);
    }
  }

  /** Every route has exactly one handler and every handler a route; otherwise refuse to start. */
  private checkHandlers(): void {
    const routed = new Set(this.options.routes.map((r) => r.pattern));
    const missing = [...routed].filter((p) => !this.messageHandlers.has(p));
    const unrouted = [...this.messageHandlers.keys()].filter((p) => !routed.has(p));
    if (missing.length || unrouted.length) {
      throw new Error(`Kafka handlers do not match routes: missing handlers for [${missing.join(', ')}], handlers without a route [${unrouted.join(', ')}]`);
    }
  }

  private async start(): Promise<void> {
    const { kafka, namer, groupId } = this.options;
    const consumer = kafka.consumer({
      groupId: namer.group(groupId),
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 100,
      sessionTimeout: this.options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.min(3_000, Math.floor((this.options.sessionTimeoutMs ?? 30_000) / 3)),
      retry: { retries: 10 },
      ...this.fetchBounds(),
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => this.onAssignment(payload.memberAssignment));
    await consumer.connect();
    await consumer.subscribe({ topics: [...this.routeByTopic.keys()].map((t) => namer.topic(t)), fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachBatch: (payload) => (this.options.mode === 'priority' ? this.intake(payload) : this.consumeBatch(payload)),
    });
  }

  /**
   * The scheduler keeps at most `maxWaiting` messages per priority and drops the rest of a fetched
   * batch (it is fetched again after resume), so kafkajs's defaults (1 MiB per partition, 10 MiB
   * per fetch) made the worker decode thousands of jobs to keep 64: measured 2.35 → 1.44 ms of
   * worker CPU per job (bench/FINDINGS.md). Batch mode holds a whole fetch while it writes it, so
   * a smaller fetch bounds the recorder's memory. The broker still returns a first message larger
   * than either bound, so nothing gets stuck.
   */
  private fetchBounds(): { maxBytes: number; maxBytesPerPartition: number } {
    if (this.options.fetch) return this.options.fetch;
    if (this.options.mode === 'priority') {
      const perPartition = Math.max(64 * 1024, (this.options.scheduler?.maxWaiting ?? 64) * 1024);
      return { maxBytesPerPartition: perPartition, maxBytes: Math.max(1024 * 1024, perPartition) };
    }
    return { maxBytesPerPartition: 1024 * 1024, maxBytes: 4 * 1024 * 1024 };
  }

  private decode(message: KafkaMessage, physicalTopic: string, partition: number): ConsumedMessage {
    const topic = this.options.namer.logical(physicalTopic);
    let value: unknown;
    try {
      value = message.value === null ? null : JSON.parse(message.value.toString('utf8'));
    } catch {
      throw new InvalidMessageError(['value is not valid JSON']);
    }
    if (value === null) throw new InvalidMessageError(['value is empty']);
    const route = this.routeByTopic.get(topic)!;
    return {
      value: route.validate(value),
      topic,
      partition,
      offset: message.offset,
      key: message.key?.toString('utf8') ?? null,
      headers: headersOf(message.headers),
      timestamp: Number(message.timestamp),
    };
  }

  private async deadLetter(physicalTopic: string, partition: number, message: KafkaMessage, error: string, stack?: string): Promise<void> {
    const letter: DeadLetter = {
      schema: 1,
      topic: this.options.namer.logical(physicalTopic),
      partition,
      offset: message.offset,
      key: message.key?.toString('utf8') ?? null,
      value: message.value?.toString('utf8') ?? '',
      error,
      ...(stack ? { stack } : {}),
      at: new Date().toISOString(),
      consumer_group: this.options.groupId,
    };
    this.logger.warn({ msg: 'dead-lettered message', topic: letter.topic, partition, offset: message.offset, error });
    await this.options.producer.publish(Topics.dlq, letter.key ?? `${letter.topic}/${partition}/${message.offset}`, letter, traceHeadersOf(headersOf(message.headers)));
    deadLettersTotal.inc({ group: this.options.namer.group(this.options.groupId), topic: physicalTopic });
  }

  private async invoke(pattern: string, data: unknown, ctx: ScheduledContext | BatchContext): Promise<void> {
    const handler = this.getHandlerByPattern(pattern)!;
    const out: unknown = await handler(data, ctx);
    if (isObservable(out)) await lastValueFrom(out, { defaultValue: undefined });
  }

  // ---------------------------------------------------------------- batch mode

  private async consumeBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (batch.isEmpty() || !isRunning() || isStale()) return;
    const route = this.routeByTopic.get(this.options.namer.logical(batch.topic))!;
    const records: ConsumedMessage[] = [];
    const raw = new Map<ConsumedMessage, KafkaMessage>();
    for (const message of batch.messages) {
      try {
        const rec = this.decode(message, batch.topic, batch.partition);
        records.push(rec);
        raw.set(rec, message);
      } catch (err) {
        if (!(err instanceof InvalidMessageError)) throw err;
        await this.deadLetter(batch.topic, batch.partition, message, err.message);
      }
    }
    const ctx = new BatchContext([{ topic: this.options.namer.logical(batch.topic), partition: batch.partition }]);
    if (records.length > 0) {
      const failed = await this.withRetry(() => this.invoke(route.pattern, records, ctx), 3);
      if (failed !== null) {
        // One bad record must not block the partition: retry one by one, dead-letter what still fails.
        for (const rec of records) {
          const failure = await this.withRetry(() => this.invoke(route.pattern, [rec], ctx));
          if (failure !== null) await this.deadLetter(batch.topic, batch.partition, raw.get(rec)!, `handler failed after retries: ${failure.message}`, failure.stack);
        }
      }
    }
    const last = batch.lastOffset();
    resolveOffset(last);
    await this.consumer!.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: String(Number(last) + 1) }]);
    await heartbeat();
  }

  /** Runs `fn` with backoff; resolves to null on success or the last error (text and stack) when it gave up. */
  private async withRetry(fn: () => Promise<void>, attempts = this.options.handlerRetry?.attempts ?? 5, stop: () => boolean = () => false): Promise<HandlerFailure | null> {
    const { baseMs = 200, maxMs = 5_000 } = this.options.handlerRetry ?? {};
    for (let attempt = 1; ; attempt++) {
      try {
        await fn();
        return null;
      } catch (err) {
        const text = err instanceof Error ? err.message : typeof err === 'object' && err && 'message' in err ? String(err.message) : JSON.stringify(err);
        // The stack goes into the dead letter, so `/admin/crashes` shows where the handler threw.
        const stack = errorStack(err);
        if (stop()) return { message: text || 'interrupted', stack };
        this.logger.error({ msg: 'handler failed', attempt, err: err instanceof Error ? err.stack : text });
        if (attempt >= attempts || this.closing) return { message: text || 'handler failed', stack };
        await sleep(backoffMs(attempt, baseMs, maxMs));
      }
    }
  }

  // ------------------------------------------------------------- priority mode

  private tracker(tpKey: string): PartitionTracker {
    let t = this.trackers.get(tpKey);
    if (!t) this.trackers.set(tpKey, (t = new PartitionTracker()));
    return t;
  }

  private async intake({ batch, resolveOffset, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const queues = this.queues!;
    const logical = this.options.namer.logical(batch.topic);
    const route = this.routeByTopic.get(logical)!;
    const priority = route.priorityOf?.(logical) ?? 'normal';
    const tpKey = `${batch.topic}/${batch.partition}`;
    const tracker = this.tracker(tpKey);
    for (const message of batch.messages) {
      if (!isRunning() || isStale() || this.closing) break;
      if (queues.isFull(priority)) {
        // Unresolved messages are fetched again after resume: memory stays flat with any backlog.
        this.pauseTopic(batch.topic, priority);
        break;
      }
      if (!tracker.isNew(Number(message.offset))) {
        resolveOffset(message.offset);
        continue;
      }
      let rec: ConsumedMessage;
      try {
        rec = this.decode(message, batch.topic, batch.partition);
      } catch (err) {
        if (!(err instanceof InvalidMessageError)) throw err;
        tracker.track(Number(message.offset));
        await this.deadLetter(batch.topic, batch.partition, message, err.message);
        this.finish(tpKey, message.offset);
        resolveOffset(message.offset);
        continue;
      }
      const due = route.notBefore?.(rec.value);
      if (due !== undefined && due > Date.now()) {
        this.pausePartitionUntil(batch.topic, batch.partition, due);
        break;
      }
      tracker.track(Number(message.offset));
      const { value, ...meta } = rec;
      queues.push(priority, { route, value, meta, physicalTopic: batch.topic, tpKey });
      resolveOffset(message.offset);
    }
    this.pump();
  }

  private pauseTopic(topic: string, priority: Priority): void {
    if (this.paused.has(topic)) return;
    this.paused.set(topic, priority);
    this.consumer!.pause([{ topic }]);
  }

  private pausePartitionUntil(topic: string, partition: number, due: number): void {
    const key = `${topic}/${partition}`;
    if (this.delayTimers.has(key)) return;
    this.consumer!.pause([{ topic, partitions: [partition] }]);
    // setTimeout fires at once past 2^31-1 ms (~24.8 days): a far due date would spin; waking
    // early only fetches the head again and pauses anew.
    this.delayTimers.set(
      key,
      setTimeout(() => {
        this.delayTimers.delete(key);
        if (!this.closing) this.consumer!.resume([{ topic, partitions: [partition] }]);
      }, Math.min(due - Date.now(), MAX_TIMER_MS)),
    );
  }

  private resumeTopics(): void {
    for (const [topic, priority] of this.paused) {
      if (this.queues!.hasRoom(priority)) {
        this.paused.delete(topic);
        this.consumer!.resume([{ topic }]);
      }
    }
  }

  /** Fills free slots from the queues (highest priority first, aged jobs before all). */
  private pump(): void {
    const queues = this.queues!;
    const max = this.options.scheduler!.maxConcurrent;
    while (this.dispatching && !this.closing && this.holdingSlot.size < max) {
      const next = queues.next();
      if (!next) break;
      this.run(next.item, next.priority, next.enqueuedAt);
    }
    if (this.paused.size) this.resumeTopics();
    if (this.running.size === 0) this.idleWaiters.splice(0).forEach((w) => w());
  }

  private dispatched = 0;

  private run(entry: Entry, priority: Priority, enqueuedAt: number): void {
    this.dispatched++;
    entry.abort = new AbortController();
    this.running.add(entry);
    this.holdingSlot.add(entry);
    const releaseSlot = () => {
      if (this.holdingSlot.delete(entry)) this.pump();
    };
    const ctx = new ScheduledContext([{ ...entry.meta, priority, enqueuedAt, signal: entry.abort.signal, releaseSlot }]);
    // The job's trace context (from its headers) covers everything the handler logs and publishes.
    const trace = traceFromHeaders(entry.meta.headers);
    const aborted = () => entry.abort!.signal.aborted;
    // A retried handler (rare: its outcome could not be published) takes a slot again, even if
    // that briefly runs one job over the limit.
    const invoke = () => (this.holdingSlot.add(entry), this.invoke(entry.route.pattern, entry.value, ctx));
    const attempt = () => this.withRetry(invoke, undefined, aborted);
    void (trace ? runWithTrace(trace, attempt) : attempt())
      .then(async (failure) => {
        if (failure === null) return true;
        // Closing: leave it unfinished so it is replayed, rather than dead-lettering a healthy job.
        if (this.closing) return false;
        // Aborted by us (e.g. a forced pool stop) and the handler gave up: it goes back to the head
        // of its queue, unfinished, and runs again when dispatching resumes.
        if (aborted()) {
          entry.abort = undefined;
          this.queues!.unshift(priority, entry, enqueuedAt);
          return false;
        }
        await this.deadLetterEntry(entry, `handler failed after retries: ${failure.message}`, failure.stack);
        return true;
      })
      .then(
        (done) => done && this.finish(entry.tpKey, entry.meta.offset),
        (err: unknown) => this.logger.error({ msg: 'could not dead-letter; the message will be replayed', err: String(err) }),
      )
      .finally(() => {
        this.running.delete(entry);
        this.holdingSlot.delete(entry);
        this.pump();
      });
  }

  private async deadLetterEntry(entry: Entry, error: string, stack?: string): Promise<void> {
    const letter: DeadLetter = {
      schema: 1,
      topic: entry.meta.topic,
      partition: entry.meta.partition,
      offset: entry.meta.offset,
      key: entry.meta.key,
      value: JSON.stringify(entry.value),
      error,
      ...(stack ? { stack } : {}),
      at: new Date().toISOString(),
      consumer_group: this.options.groupId,
    };
    await this.options.producer.publish(Topics.dlq, entry.meta.key ?? entry.tpKey, letter, traceHeadersOf(entry.meta.headers));
    deadLettersTotal.inc({ group: this.options.namer.group(this.options.groupId), topic: entry.physicalTopic });
  }

  private finish(tpKey: string, offset: string): void {
    const tracker = this.trackers.get(tpKey);
    if (tracker?.finish(Number(offset))) this.scheduleCommit();
  }

  private scheduleCommit(): void {
    if (this.commitTimer) return;
    this.commitTimer = setTimeout(() => {
      this.commitTimer = undefined;
      void this.commit();
    }, this.options.commitIntervalMs ?? 50);
  }

  private async commit(): Promise<void> {
    const offsets: Array<{ topic: string; partition: number; offset: string; tracker: PartitionTracker }> = [];
    for (const [tpKey, tracker] of this.trackers) {
      const next = tracker.takeCommit();
      if (next === null) continue;
      const cut = tpKey.lastIndexOf('/');
      offsets.push({ topic: tpKey.slice(0, cut), partition: Number(tpKey.slice(cut + 1)), offset: String(next), tracker });
    }
    if (!offsets.length || !this.consumer) return;
    try {
      await this.consumer.commitOffsets(offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })));
    } catch (err) {
      this.logger.warn({ msg: 'offset commit failed; will retry', err: String(err) });
      offsets.forEach((o) => o.tracker.commitFailed(Number(o.offset)));
      this.scheduleCommit();
    }
  }

  /** After a rebalance: forget queued work of partitions this member no longer owns. */
  private onAssignment(assignment: Record<string, number[]>): void {
    if (!this.queues) return;
    const owned = new Set(Object.entries(assignment).flatMap(([t, ps]) => ps.map((p) => `${t}/${p}`)));
    for (const tpKey of [...this.trackers.keys()]) {
      if (owned.has(tpKey)) continue;
      this.trackers.delete(tpKey);
      const dropped = this.queues.removeWhere((e) => e.tpKey === tpKey);
      if (dropped.length) this.logger.log({ msg: 'partition revoked; dropped queued jobs', partition: tpKey, dropped: dropped.length });
    }
  }

  // ------------------------------------------------------------ control & stats

  /**
   * Stops or restarts taking new jobs from the queues (in-flight jobs continue). Each `reason` holds
   * dispatching off on its own: jobs flow only when no reason holds it (the pool is meant to run
   * and its model server is up).
   */
  setDispatching(enabled: boolean, reason = 'pool'): void {
    if (enabled) this.holds.delete(reason);
    else this.holds.add(reason);
    if (this.dispatching && this.queues) this.pump();
  }

  /** When the oldest job waiting in this worker's memory was fetched; undefined when none waits. */
  oldestWaitingAt(): number | undefined {
    const times = PRIORITIES.map((p) => this.queues?.oldestEnqueuedAt(p)).filter((t): t is number => t !== undefined);
    return times.length ? Math.min(...times) : undefined;
  }

  /** Resolves once no job runs (now, or when the last in-flight one ends) or after `timeoutMs`; true when idle. */
  whenIdle(timeoutMs: number): Promise<boolean> {
    return this.waitIdle(timeoutMs);
  }

  /** Aborts in-flight jobs matching `pred` (the handler sees `reason` on its signal); returns how many. */
  abortWhere(pred: (meta: ConsumedMessage) => boolean, reason: string = 'aborted'): number {
    let n = 0;
    for (const e of this.running) {
      if (pred({ ...e.meta, value: e.value })) {
        e.abort?.abort(reason);
        n++;
      }
    }
    return n;
  }

  private inFlightByPriority(): Record<Priority, number> {
    const out = Object.fromEntries(PRIORITIES.map((p) => [p, 0])) as Record<Priority, number>;
    for (const e of this.running) out[e.route.priorityOf?.(e.meta.topic) ?? 'normal']++;
    return out;
  }

  stats(): SchedulerStats {
    const q = this.queues;
    return {
      inFlight: this.running.size,
      inFlightByPriority: this.inFlightByPriority(),
      maxConcurrent: this.options.scheduler?.maxConcurrent ?? 0,
      maxWaiting: this.options.scheduler?.maxWaiting ?? 0,
      waiting: Object.fromEntries(PRIORITIES.map((p) => [p, q?.size(p) ?? 0])) as Record<Priority, number>,
      pausedTopics: [...this.paused.keys()],
      dispatching: this.dispatching,
      dispatched: this.dispatched,
    };
  }

  private waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.running.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  /** Graceful: stop fetching, let in-flight jobs finish (bounded), commit, leave the group. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.queues) {
      const drained = await this.waitIdle(this.options.drainTimeoutMs ?? 30_000);
      if (!drained) {
        this.logger.warn({ msg: 'drain timeout; aborting in-flight jobs (they will be replayed)', inFlight: this.running.size });
        for (const e of this.running) e.abort?.abort();
      }
    }
    this.delayTimers.forEach((t) => clearTimeout(t));
    this.delayTimers.clear();
    if (this.commitTimer) clearTimeout(this.commitTimer);
    this.commitTimer = undefined;
    await this.commit();
    await this.consumer?.disconnect();
  }
}
