import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { POOLS, PRIORITIES, Topics } from '@gantry/contracts';
import { KafkaInspector, TopicNamer, watchConsumerLag } from '@gantry/kafka';

/**
 * The gateway exports every pool's backlog (`gantry_kafka_consumer_lag` of each worker group),
 * whether or not a worker runs: an empty pool with a growing backlog is exactly what an operator
 * must see. Consumers export their own group's lag on their own `/metrics`.
 */
@Injectable()
export class KafkaLagWatch implements OnModuleInit, OnModuleDestroy {
  private stops: Array<() => void> = [];

  constructor(
    private readonly inspector: KafkaInspector,
    private readonly namer: TopicNamer,
  ) {}

  onModuleInit(): void {
    this.stops = POOLS.map((pool) =>
      watchConsumerLag(
        this.inspector,
        this.namer,
        `gantry.worker.${pool}`,
        PRIORITIES.map((p) => Topics.jobs(pool, p)),
      ),
    );
  }

  onModuleDestroy(): void {
    this.stops.forEach((stop) => stop());
    this.stops = [];
  }
}
