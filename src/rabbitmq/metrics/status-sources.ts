/**
 * What the gauges read when Prometheus scrapes, as small interfaces: metrics is a leaf that every
 * other folder may import (to count), so it imports none of them (the server, the publisher, the
 * connections and the depth reader satisfy these; the module hands them in).
 */

/** One consumer, as the gauges see it. */
export interface ConsumerGaugeStatus {
  queue: string;
  /** Deliveries being handled. */
  inFlight: number;
  /** Prefetch window now. */
  window: number;
  /** The channel is open with the topology declared. */
  attached: boolean;
  pausedFor: readonly string[];
  killSwitch: string;
  /** Where its messages are parked (a partition's: its handler's `<queue>.dlq`); none for a request queue. */
  deadLetterQueue?: string;
}

/** The process's flow control, as the gauges see it. */
export interface FlowGaugeStatus {
  inFlightBytes: number;
  memoryBytes: number;
  memoryMeasure: string;
  eventLoopDelayMs: number;
}

/** The transport server: its consumers and the flow control over them. */
export interface ConsumerStatusSource {
  consumerStatus(): readonly ConsumerGaugeStatus[];
  flowStatus(): FlowGaugeStatus;
}

export interface PublisherStatusSource {
  status(): { pending: number };
}

export interface ConnectionStateSource {
  /** The roles that have a connection (replies only in a service with a request handler). */
  roles(): readonly string[];
  state(role: string): { connected: boolean; blocked: boolean; reconnects: number };
}

/** Ready messages per queue (passive declare); a queue that could not be read has an error instead. */
export interface QueueDepthSource {
  read(queues: string[]): Promise<Record<string, { messages: number } | { error: string }>>;
}
