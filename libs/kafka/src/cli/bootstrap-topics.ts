import { KafkaEnv, loadEnv } from '@gantry/config';
import { createKafka, TopicNamer } from '../kafka';
import { ensureTopics } from '../topics-bootstrap';

/** `npm run topics`: creates Gantry's topics on the broker at KAFKA_BROKERS. */
async function main(): Promise<void> {
  const env = loadEnv(KafkaEnv);
  const created = await ensureTopics(createKafka(env, 'gantry-bootstrap'), new TopicNamer(env.KAFKA_TOPIC_PREFIX), env.KAFKA_JOB_PARTITIONS);
  process.stdout.write(created.length ? `created ${created.length} topics\n` : 'all topics exist\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
