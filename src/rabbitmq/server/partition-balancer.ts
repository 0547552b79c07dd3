import type { Logger } from '@nestjs/common';
import type { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
import type { Channel } from 'amqplib';
import { redactText } from '../logging/redact-url.js';
import { replicasQueueName } from '../topology/topology-names.js';

/** How often a replica compares the partitions it holds with its fair share. */
export const REBALANCE_INTERVAL_MS = 2_000;

/** A partition's consumer as the balancer sees it. */
export interface PartitionHolder {
  /** This replica is the partition's active consumer (a delivery came since it subscribed). */
  readonly holdsQueue: boolean;
  /** Hand the partition to a standby replica once the message in hand is handled (false: keep it). */
  requestHandoff(wanted: boolean): void;
}

/**
 * Spreads a handler's partitions over the replicas. Every replica subscribes to every partition
 * (single active consumer: the first subscriber gets it, the rest stand by to take over), so the
 * first replica up holds them all. Each replica also subscribes to `<queue>.replicas`, a queue
 * nothing is published to: its declare-ok counts every replica (a single-active-consumer queue's
 * counts the active consumer only, on RabbitMQ 3.10). Every REBALANCE_INTERVAL_MS a replica holding
 * more than ceil(partitions / replicas) hands the surplus over: at the next settlement of such a
 * partition, after its message is handled and before it is acked, it cancels its consumer (the
 * broker then makes the next standby active) and subscribes again at the back of the line.
 * A partition nobody publishes to is never handed over (nothing to settle): it costs nothing where it is.
 */
export class PartitionBalancer {
  private readonly channel: ChannelWrapper;
  private raw?: Channel;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly handlerQueue: string,
    private readonly partitions: readonly PartitionHolder[],
    connection: AmqpConnectionManager,
    private readonly logger: Logger,
  ) {
    const queue = replicasQueueName(handlerQueue);
    this.channel = connection.createChannel({
      name: queue,
      confirm: false,
      json: false,
      setup: async (channel: Channel) => {
        this.raw = channel;
        // Not durable, deleted with its last consumer: it only counts the replicas alive now.
        await channel.assertQueue(queue, { durable: false, autoDelete: true });
        await channel.consume(queue, () => undefined, { noAck: true });
      },
    });
    this.channel.on('error', (error: Error) => this.logger.warn(`replica count of ${handlerQueue} unavailable: ${redactText(error.message)}`));
  }

  start(intervalMs = REBALANCE_INTERVAL_MS): void {
    this.timer = setInterval(() => void this.rebalance(), intervalMs);
    this.timer.unref();
  }

  /** One round: count the replicas, keep the fair share of the partitions held, ask the rest to move. */
  async rebalance(): Promise<void> {
    const channel = this.raw;
    if (this.stopped || !channel) {
      return;
    }
    let replicas: number;
    try {
      replicas = Math.max(1, (await channel.checkQueue(replicasQueueName(this.handlerQueue))).consumerCount);
    } catch {
      return; // reconnecting: next round
    }
    const share = Math.ceil(this.partitions.length / replicas);
    const held = this.partitions.filter((partition) => partition.holdsQueue);
    // Keep the first `share` held, hand over the rest; a partition not held wants nothing.
    for (const partition of this.partitions) {
      partition.requestHandoff(false);
    }
    for (const partition of held.slice(share)) {
      partition.requestHandoff(true);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.channel.close().catch(() => undefined);
  }
}
