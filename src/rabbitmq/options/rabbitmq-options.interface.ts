/** Queue type for handler queues. */
export type QueueType = 'quorum' | 'classic';

/**
 * Options of RabbitMQModule.forRoot / forRootAsync. Only `urls` and `serviceName` are required.
 */
export interface RabbitMQModuleOptions {
  /** Broker URLs, tried in turn (cluster nodes). Credentials are never logged. */
  urls: string[];
  /** Name of this service: prefix of its queue names and of its connection names. */
  serviceName: string;
  /**
   * Topic exchange events are published to.
   * @default 'warren.events'
   */
  exchange?: string;
  /**
   * Unacked deliveries per handler queue; a handler may override it with `prefetch`.
   * @default 50
   */
  prefetch?: number;
  /**
   * Type of handler queues (and their dead-letter queues).
   * @default 'quorum'
   */
  queueType?: QueueType;
  /**
   * Largest body published or consumed, in bytes.
   * @default 1048576
   */
  maxMessageBytes?: number;
  /**
   * Deadline for a publish to be confirmed, in ms.
   * @default 5000
   */
  publishTimeoutMs?: number;
  /**
   * AMQP heartbeat, in seconds.
   * @default 10
   */
  heartbeatSeconds?: number;
  /**
   * Delay between reconnect attempts, in seconds.
   * @default 1
   */
  reconnectSeconds?: number;
  /**
   * How long in-flight handlers may run on shutdown before their messages are requeued, in ms.
   * @default 10000
   */
  shutdownGraceMs?: number;
}

/** Options after defaults are merged and validated. */
export type ResolvedRabbitMQOptions = Required<RabbitMQModuleOptions>;
