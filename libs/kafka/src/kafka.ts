import { Kafka, logLevel, type KafkaConfig, type LogEntry } from 'kafkajs';
import type { KafkaEnv } from '@gantry/config';
import { Logger } from '@nestjs/common';

const logger = new Logger('kafkajs');

/** kafkajs logs through Nest's logger, so Kafka lines share the apps' JSON format and levels. */
function logCreator() {
  return ({ level, log }: LogEntry) => {
    const { message, ...extra } = log;
    const line = `${message} ${JSON.stringify(extra)}`;
    // kafkajs logs every retriable protocol response (e.g. "coordinator is loading") as ERROR and
    // then retries; failures that matter surface as rejected calls, which the apps log themselves.
    if (level <= logLevel.WARN) logger.warn(line);
    else logger.debug(line);
  };
}

export function createKafka(env: KafkaEnv, clientId: string, extra: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId,
    brokers: env.KAFKA_BROKERS.split(','),
    logLevel: logLevel.WARN,
    logCreator,
    retry: { initialRetryTime: 100, retries: 8 },
    ...extra,
  });
}

/** Applies the deployment's topic/group prefix (test runs share one broker). */
export class TopicNamer {
  constructor(readonly prefix: string) {}
  topic(name: string): string {
    return this.prefix + name;
  }
  group(name: string): string {
    return this.prefix + name;
  }
  /** Strips the prefix from a physical topic name. */
  logical(topic: string): string {
    return topic.startsWith(this.prefix) ? topic.slice(this.prefix.length) : topic;
  }
}
