import { randomUUID } from 'node:crypto';
import { Topics, type DeadLetter, type JobView } from '@gantry/contracts';
import type { RunningGateway } from '../apps/gateway/src/gateway.bootstrap';
import { committedOffset, jobEvent, jobMessage, RawProducer, TopicReader, type Produced } from './support/kafka-helpers';
import { createStack, getJob, waitFor, waitTerminal, type TestStack } from './support/stack';

const WORKER_GROUP = 'gantry.worker.gemma';
const RECORDER_GROUP = 'gantry.recorder';
const JOBS_NORMAL = Topics.jobs('gemma', 'normal');

/**
 * Poison messages: whatever a producer writes to a Gantry topic, every consumer group sends what
 * it cannot read to `gantry.dlq.v1` with a readable reason and moves on, so one bad record never
 * blocks the messages behind it on the same partition.
 */
describe('dead-letter queue', () => {
  let stack: TestStack;
  let gw: RunningGateway;
  let producer: RawProducer;
  let dlq: TopicReader<DeadLetter>;

  beforeAll(async () => {
    stack = await createStack();
    dlq = await TopicReader.start<DeadLetter>(stack, Topics.dlq);
    producer = await RawProducer.connect(stack);
    gw = await stack.startGateway();
    await Promise.all([stack.startWorker(), stack.startRecorder()]);
  });
  afterAll(async () => {
    await dlq?.stop();
    await producer?.disconnect();
    await stack?.stop();
  });

  /** The dead letter `group` wrote for the record at `at` of `topic`, once it is there. */
  async function letterFor(group: string, topic: string, at: Produced): Promise<DeadLetter> {
    const [letter] = await dlq.waitForValues(
      (l) => l.consumer_group === group && l.topic === topic && l.partition === at.partition && l.offset === at.offset,
      `a dead letter from ${group} for ${topic}/${at.partition}@${at.offset}`,
    );
    return letter;
  }

  async function waitCommitted(group: string, topic: string, at: Produced): Promise<void> {
    // Committed offset = next offset to read: past `at` means every record up to it is done.
    await waitFor(async () => (await committedOffset(stack, group, topic, at.partition)) > Number(at.offset), `${group} to commit past ${topic}/${at.partition}@${at.offset}`);
  }

  it('a malformed job message lands in the DLQ from the worker and the recorder, and the partition keeps flowing', async () => {
    const key = randomUUID(); // one key: every record below goes to the same partition, in this order
    const notJson = '{"schema": 1, "request_id": "' + key + '", "kind": "chat"'; // truncated JSON
    const { request_id: _dropped, ...withoutId } = jobMessage();
    const wrongShape = { ...withoutId, schema: 2, priority: 'urgent' };
    const good = jobMessage({
      client_id: 'dlq-probe',
      request: { model: 'gemma-3-4b-it', messages: [{ role: 'user', content: `after the poison ${key}` }], max_tokens: 8 },
    });

    const atNotJson = await producer.send(JOBS_NORMAL, key, notJson);
    const atWrongShape = await producer.send(JOBS_NORMAL, key, wrongShape);
    const atNotObject = await producer.send(JOBS_NORMAL, key, '[1, 2, 3]');
    const atTombstone = await producer.send(JOBS_NORMAL, key, null);
    const atGood = await producer.send(JOBS_NORMAL, key, good);
    const sent = [atNotJson, atWrongShape, atNotObject, atTombstone, atGood];
    expect(new Set(sent.map((s) => s.partition)).size).toBe(1);
    expect(sent.map((s) => Number(s.offset))).toEqual([0, 1, 2, 3, 4].map((i) => Number(atNotJson.offset) + i));

    // The valid job behind four bad records on its partition still runs to the end.
    const done = await waitTerminal(gw.url, good.request_id);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1, client_id: 'dlq-probe', error: null });
    expect((done.result as { choices: unknown[] }).choices).toHaveLength(1);
    expect(stack.sim.stats().requests.filter((r) => JSON.stringify(r.body).includes(`after the poison ${key}`))).toHaveLength(1);

    // Both consumer groups of the job topic dead-letter every bad record, each with its reason.
    for (const group of [WORKER_GROUP, RECORDER_GROUP]) {
      const a = await letterFor(group, JOBS_NORMAL, atNotJson);
      expect(a).toMatchObject({ schema: 1, key, value: notJson, consumer_group: group });
      expect(a.error).toMatch(/not valid JSON/);
      expect(Number.isNaN(Date.parse(a.at))).toBe(false);

      const b = await letterFor(group, JOBS_NORMAL, atWrongShape);
      expect(JSON.parse(b.value)).toEqual(wrongShape);
      expect(b.error).toMatch(/^invalid message: /);
      expect(b.error).toContain('schema');
      expect(b.error).toContain('request_id');
      expect(b.error).toContain('priority');
      expect(b.error).not.toContain('client_id'); // only the fields that are actually wrong

      expect((await letterFor(group, JOBS_NORMAL, atNotObject)).error).toMatch(/not a JSON object/);
      const d = await letterFor(group, JOBS_NORMAL, atTombstone);
      expect(d.error).toMatch(/empty/);
      expect(d.value).toBe('');

      // The group's committed offset moves past the dead-lettered records and the valid job.
      await waitCommitted(group, JOBS_NORMAL, atGood);
    }

    // One letter per bad record per group, none for the valid job.
    const forKey = dlq.values((l) => l.topic === JOBS_NORMAL && l.key === key);
    expect(forKey).toHaveLength(8);
    expect(forKey.filter((l) => l.offset === atGood.offset)).toHaveLength(0);

    // The DLQ is keyed by the original key, so a partition's letters stay in order.
    const workerOffsets = forKey.filter((l) => l.consumer_group === WORKER_GROUP).map((l) => Number(l.offset));
    expect(workerOffsets).toEqual([atNotJson, atWrongShape, atNotObject, atTombstone].map((s) => Number(s.offset)));

    // Postgres has the valid job, written by the recorder, and nothing for the bad records.
    const rows = await stack.pg.query('SELECT request_id, status, client_id, request FROM jobs WHERE client_id = $1 OR request_id = $2', ['dlq-probe', key]);
    expect(rows.rows).toHaveLength(1);
    expect(rows.rows[0]).toMatchObject({ request_id: good.request_id, status: 'succeeded', request: good.request });
  });

  it('a malformed job event is dead-lettered by the recorder alone and the next event on the partition is applied', async () => {
    const job = jobMessage({ client_id: 'events-probe' });
    const key = job.request_id; // the worker keys events by request id
    const started = jobEvent(job, 'started', { at: '2024-05-01T10:00:01.000Z' });
    const result = { id: 'cmpl-x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }] };
    const succeeded = jobEvent(job, 'succeeded', { at: '2024-05-01T10:00:02.000Z', result, usage: { prompt_tokens: 2, completion_tokens: 1, total_tokens: 3 } });

    const atStarted = await producer.send(Topics.jobEvents, key, started);
    const atGarbage = await producer.send(Topics.jobEvents, key, 'definitely { not json');
    const atBadType = await producer.send(Topics.jobEvents, key, { ...succeeded, type: 'finished', attempt: -1 });
    const atSucceeded = await producer.send(Topics.jobEvents, key, succeeded);
    expect(new Set([atStarted, atGarbage, atBadType, atSucceeded].map((s) => s.partition)).size).toBe(1);

    // The event after the poison is applied: the job is visible as succeeded with its result.
    const view = await waitTerminal(gw.url, job.request_id);
    expect(view).toMatchObject({ status: 'succeeded', attempts: 1, result, client_id: 'events-probe', started_at: started.at, finished_at: succeeded.at });
    const row = await waitFor(async () => {
      const r = await stack.pg.query('SELECT status, attempts, result FROM jobs WHERE request_id = $1', [job.request_id]);
      return r.rows[0]?.status === 'succeeded' ? r.rows[0] : null;
    }, 'the jobs row');
    expect(row).toMatchObject({ attempts: 1, result });

    const garbage = await letterFor(RECORDER_GROUP, Topics.jobEvents, atGarbage);
    expect(garbage).toMatchObject({ key, value: 'definitely { not json' });
    expect(garbage.error).toMatch(/not valid JSON/);
    // Nothing threw: an undecodable message has no stack.
    expect(garbage.stack).toBeUndefined();
    const badType = await letterFor(RECORDER_GROUP, Topics.jobEvents, atBadType);
    expect(badType.error).toContain('type');
    expect(badType.error).toContain('attempt');
    await waitCommitted(RECORDER_GROUP, Topics.jobEvents, atSucceeded);

    // Nobody else consumes job events: only the recorder's group wrote letters for them.
    const letters = dlq.values((l) => l.topic === Topics.jobEvents && l.key === key);
    expect(letters.map((l) => [l.consumer_group, l.offset])).toEqual([
      [RECORDER_GROUP, atGarbage.offset],
      [RECORDER_GROUP, atBadType.offset],
    ]);
  });

  it('a record that validates but that Postgres rejects is dead-lettered alone (after the handler retries); the rest of its batch is applied', async () => {
    // A NUL character passes validation (it is a string) but Postgres cannot store it in text.
    const poisoned = jobMessage({ client_id: 'pg-poison\u0000' });
    const healthy = jobMessage({ client_id: 'pg-healthy' });
    const key = randomUUID();
    // TypeORM prints each failed query to the console; the retries below would flood the output.
    const quiet = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await poisonAndHealthy(poisoned, healthy, key);
    } finally {
      quiet.mockRestore();
    }
  });

  async function poisonAndHealthy(poisoned: ReturnType<typeof jobMessage>, healthy: ReturnType<typeof jobMessage>, key: string): Promise<void> {
    const e1 = await producer.send(Topics.jobEvents, key, jobEvent(poisoned, 'started', { at: poisoned.created_at }));
    const e2 = await producer.send(Topics.jobEvents, key, jobEvent(healthy, 'accepted'));
    expect(e2.partition).toBe(e1.partition);

    const letter = await letterFor(RECORDER_GROUP, Topics.jobEvents, e1);
    expect(letter.key).toBe(key);
    expect(JSON.parse(letter.value)).toMatchObject({ request_id: poisoned.request_id, client_id: 'pg-poison\u0000' });
    // The letter says why, not just that the handler failed.
    expect(letter.error).toMatch(/handler failed after retries: .*unicode/i);
    // A handler that threw leaves its stack, which the crash log shows.
    expect(letter.stack).toMatch(/\n\s+at /);
    const stored = await waitFor(async () => {
      const r = await stack.pg.query('SELECT stack FROM dead_letters WHERE consumer_group = $1 AND source_offset = $2 AND source_partition = $3', [RECORDER_GROUP, e1.offset, e1.partition]);
      return r.rows[0] ?? null;
    }, 'the dead letter stored');
    expect(stored.stack).toBe(letter.stack);

    const healthyView = await waitFor(async () => {
      const { status, body } = await getJob(gw.url, healthy.request_id);
      return status === 200 ? (body as JobView) : null;
    }, 'the healthy job row');
    expect(healthyView).toMatchObject({ status: 'queued', client_id: 'pg-healthy' });
    const poisonedRows = await stack.pg.query('SELECT 1 FROM jobs WHERE request_id = $1', [poisoned.request_id]);
    expect(poisonedRows.rowCount).toBe(0);
    await waitCommitted(RECORDER_GROUP, Topics.jobEvents, e2);
    expect(dlq.values((l) => l.topic === Topics.jobEvents && l.key === key)).toHaveLength(1);
  }
});
