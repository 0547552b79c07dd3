import type { OnModuleInit } from '@nestjs/common';
import { unroutedQueueName } from '../topology/topology-names.js';
import type { RabbitMetrics } from './rabbitmq-metrics.js';
import type { ConnectionStateSource, ConsumerStatusSource, PublisherStatusSource, QueueDepthSource } from './status-sources.js';

/** Registers the gauges that are read from live state when Prometheus scrapes. */
export class RabbitMetricsCollector implements OnModuleInit {
  constructor(
    private readonly metrics: RabbitMetrics,
    private readonly connections: ConnectionStateSource,
    private readonly server: ConsumerStatusSource,
    private readonly publisher: PublisherStatusSource,
    /** Depths of the consumed queues. */
    private readonly depths: QueueDepthSource,
    /** A reader of its own: a depth reader caches the last list it read, which is the consumed queues'. */
    private readonly leftoverDepths: QueueDepthSource,
    /** The events exchange (its `<exchange>.unrouted` queue is a leftover too) and the DLQs' bound. */
    private readonly options: { exchange: string; consume: { deadLetterMaxLength: number } },
  ) {}

  onModuleInit(): void {
    const { metrics } = this;
    metrics.gauge('warren_connection_up', '1 when the connection of this role is open.', ['role'], (set) => {
      for (const role of this.connections.roles()) set({ role }, this.connections.state(role).connected ? 1 : 0);
    });
    metrics.gauge('warren_connection_blocked', '1 while the broker blocks this connection (resource alarm).', ['role'], (set) => {
      for (const role of this.connections.roles()) set({ role }, this.connections.state(role).blocked ? 1 : 0);
    });
    metrics.gauge('warren_connection_reconnects', 'Reconnects since start, by role.', ['role'], (set) => {
      for (const role of this.connections.roles()) set({ role }, this.connections.state(role).reconnects);
    });
    metrics.gauge('warren_in_flight_messages', 'Deliveries being handled, by queue.', ['queue'], (set) => {
      for (const status of this.server.consumerStatus()) set({ queue: status.queue }, status.inFlight);
    });
    metrics.gauge(
      'warren_consumer_prefetch',
      'Prefetch window of each queue now: 1 at start and after a body over maxMessageBytes, else its prefetch.',
      ['queue'],
      (set) => {
        for (const status of this.server.consumerStatus()) set({ queue: status.queue }, status.window);
      },
    );
    metrics.gauge('warren_in_flight_bytes', 'Bytes of message bodies being handled, all queues.', [], (set) => {
      set({}, this.server.flowStatus().inFlightBytes);
    });
    metrics.gauge('warren_consumer_paused', '1 while a queue takes no deliveries (flow control, kill switch, shutdown).', ['queue'], (set) => {
      for (const status of this.server.consumerStatus()) set({ queue: status.queue }, status.pausedFor.length > 0 ? 1 : 0);
    });
    metrics.gauge('warren_queue_depth', 'Ready messages in each consumed queue (passive declare, cached).', ['queue'], async (set) => {
      if (!this.connections.state('consumer').connected) return;
      const attached = this.server
        .consumerStatus()
        .filter((status) => status.attached)
        .map((status) => status.queue);
      const depths = await this.depths.read(attached);
      for (const [queue, depth] of Object.entries(depths)) {
        if ('messages' in depth) set({ queue }, depth.messages);
      }
    });
    metrics.gauge(
      'warren_leftover_queue_depth',
      'Messages in each dead-letter queue (kind=dead_letter) and in <exchange>.unrouted (kind=unrouted): what nobody will consume on its own.',
      ['queue', 'kind'],
      async (set) => {
        if (!this.connections.state('consumer').connected) return;
        // Each DLQ once: the partitions of a handler ordered by key park in their handler's.
        const leftovers = new Map<string, string>(
          this.server
            .consumerStatus()
            .filter((status) => status.attached && status.deadLetterQueue !== undefined)
            .map((status) => [status.deadLetterQueue!, 'dead_letter']),
        );
        leftovers.set(unroutedQueueName(this.options.exchange), 'unrouted');
        // Its own cache key: the depth reader caches one list of queues at a time.
        const depths = await this.leftoverDepths.read([...leftovers.keys()]);
        for (const [queue, depth] of Object.entries(depths)) {
          if ('messages' in depth) set({ queue, kind: leftovers.get(queue)! }, depth.messages);
        }
      },
    );
    metrics.gauge(
      'warren_dead_letter_queue_max_length',
      'x-max-length of every <queue>.dlq (DLQ_MAX_LENGTH, 0 = unbounded): a full one refuses dead letters and its queue pauses (dead-letter-queue-full).',
      [],
      (set) => {
        set({}, this.options.consume.deadLetterMaxLength);
      },
    );
    metrics.gauge('warren_publish_pending', 'Publishes waiting for a broker confirm.', [], (set) => {
      set({}, this.publisher.status().pending);
    });
  }
}
