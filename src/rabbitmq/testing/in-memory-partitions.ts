import type { Logger } from '@nestjs/common';
import type { ConsumeMessage } from 'amqplib';
import type { MessageDecoder } from '../codec/message-decoder.js';
import type { ResolvedRabbitMQOptions } from '../options/rabbitmq-options.interface.js';
import { DeliveryProcessor } from '../server/delivery-processor.js';
import type { HandlerDefinition, Partitioning } from '../server/handler-registry.js';
import { partitionDefinitions } from '../server/partition-plan.js';
import { partitionOfMessage } from '../server/partition-router.js';
import { partitionCopyProperties } from '../wire/partition-copy.js';
import type { HandlerResult } from './handler-result.js';
import { inMemoryDelivery } from './in-memory-message.js';
import { InMemoryQueue } from './in-memory-queue.js';

/**
 * A handler ordered by key (`ordered: { by, partitions }`) without a broker: production's partition
 * plan (each partition an ordered handler's queue, `<queue>.p<i>`, parking in the handler's DLQ),
 * production's rule for an event's partition (PartitionRouter's `partitionOfMessage`) and its
 * forwarded copy (`partitionCopyProperties`); each partition an InMemoryQueue, so one at a time,
 * in-place retries, and a failing key holds its partition only.
 */
export class InMemoryPartitions {
  private readonly partitioning: Partitioning;
  private readonly partitions: InMemoryQueue[];
  /** Events enter their partitions in arrival order, as the router forwards them in delivery order. */
  private routing: Promise<unknown> = Promise.resolve();

  constructor(
    definition: HandlerDefinition & { partitioning: Partitioning },
    private readonly decoder: MessageDecoder,
    options: ResolvedRabbitMQOptions,
    logger: Logger,
  ) {
    this.partitioning = definition.partitioning;
    this.partitions = partitionDefinitions(definition).map(
      (partition) => new InMemoryQueue(partition, new DeliveryProcessor(partition, decoder), options, logger),
    );
  }

  /** Forwards the event to its partition, as the router does, and resolves with how that partition settled it. */
  async deliver(message: ConsumeMessage): Promise<HandlerResult> {
    const routed = this.routing.then(() => this.forward(message));
    this.routing = routed.catch(() => undefined);
    const { partition, copy } = await routed;
    return this.partitions[partition].deliver(copy);
  }

  stop(): void {
    for (const partition of this.partitions) {
      partition.stop();
    }
  }

  private async forward(message: ConsumeMessage): Promise<{ partition: number; copy: ConsumeMessage }> {
    const partition = await partitionOfMessage(message, this.decoder, this.partitioning);
    const queue = this.partitions[partition].definition.queue;
    return { partition, copy: inMemoryDelivery('', queue, message.content, partitionCopyProperties(message)) };
  }
}
