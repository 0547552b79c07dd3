import type { Logger } from '@nestjs/common';
import type { ConsumeMessage } from 'amqplib';
import type { MessageDecoder } from '../codec/message-decoder.js';
import { redactText } from '../logging/redact-url.js';
import type { QueueMetrics } from '../metrics/queue-metrics.js';
import type { RabbitPublisher } from '../publisher/rabbit-publisher.js';
import { partitionQueueName } from '../topology/topology-names.js';
import { messageIdOf } from '../wire/message-identity.js';
import { readEnvelope } from '../wire/nest-envelope.js';
import { partitionCopyProperties } from '../wire/partition-copy.js';
import { abortableDelay } from './abortable-delay.js';
import type { Delivery } from './channel-acknowledger.js';
import type { DeliveryHandling } from './delivery-handling.js';
import type { HandlerDefinition, Partitioning } from './handler-registry.js';
import type { KillSwitchState } from './kill-switch.js';
import { isPartitionKey, partitionOf } from './partition-key.js';

/** First wait after a forward the broker refused, before forwarding again; doubles up to the maximum. */
export const FORWARD_RETRY_MS = 500;
export const FORWARD_RETRY_MAX_MS = 10_000;

export interface PartitionRouterDeps {
  decoder: Pick<MessageDecoder, 'read'>;
  publisher: Pick<RabbitPublisher, 'publishRaw'>;
  metrics: QueueMetrics;
  logger: Logger;
}

/**
 * Where an event goes when no key can be read from it (undecodable, `by` threw or returned no key):
 * the handler's pipeline in that partition then decides, as for any handler — a body that cannot be
 * decoded or a payload that fails validation is parked with its reason (DecodeError, ValidationError),
 * and one the handler accepts is handled in that partition's order.
 */
export const KEYLESS_PARTITION = 0;

/**
 * Consumes a handler queue ordered by key (single active consumer, so one router of all replicas
 * at a time) and forwards each event to partition `partitionOf(by(event), count)`. Publish order is
 * what keeps per-key order: the forwards are issued in delivery order on the publisher's one
 * confirm channel (the broker enqueues one channel's publishes to a queue in order), and each
 * delivery is acked only after its forward is confirmed and every delivery before it is settled.
 * A window of deliveries is forwarded at once (the handler's prefetch): one at a time, the router
 * would be bound by a confirm round trip per event (~110 events/s measured on RabbitMQ 3.10).
 *
 * When the broker refuses a forward (down, blocked, nacked), that delivery and every one after it
 * still in flight are handed back in order (nack, requeue: they return to the front of the queue,
 * still to this consumer) and forwarding waits FORWARD_RETRY_MS, doubling, before going on. The
 * consumer is not cancelled for it: cancelling would make a standby replica's router active while
 * these are being handed back, and it would forward later events first.
 */
export class PartitionRouter implements DeliveryHandling {
  private readonly partitioning: Partitioning;
  /** Resolves once every delivery so far has had its forward issued: the next one is issued after it. */
  private issued: Promise<unknown> = Promise.resolve();
  /** Resolves once every delivery so far is settled: deliveries are settled in the order they came. */
  private settled: Promise<void> = Promise.resolve();
  /** Set by a refused forward: the deliveries behind it are handed back too, until forwarding resumes. */
  private refusedAt?: number;
  private backoffMs = FORWARD_RETRY_MS;
  private inFlight = 0;
  private readonly stopped = new AbortController();
  lastProgressAt = Date.now();

  constructor(
    private readonly definition: HandlerDefinition,
    private readonly deps: PartitionRouterDeps,
  ) {
    if (!definition.partitioning) {
      throw new Error(`PartitionRouter of ${definition.queue}: the handler is not ordered by key`);
    }
    this.partitioning = definition.partitioning;
  }

  get running(): number {
    return this.inFlight;
  }

  /** The router has no kill switch of its own: a handler failing trips its partition's, and a refused forward backs off. */
  get killSwitchState(): KillSwitchState {
    return 'closed';
  }

  progressed(): void {
    this.lastProgressAt = Date.now();
  }

  stop(): void {
    this.stopped.abort();
  }

  handle(delivery: Delivery): Promise<void> {
    this.inFlight += 1;
    const before = this.settled;
    const routed = this.issued.then(() => this.route(delivery.message, before));
    // The next forward is issued once this one's publish has been called (not confirmed).
    this.issued = routed.catch(() => undefined);
    const done = this.settle(delivery, routed, before).finally(() => (this.inFlight -= 1));
    this.settled = done;
    return done;
  }

  /** Reads the key and issues the forward; the promise it resolves with is the forward's confirm. */
  private async route(message: ConsumeMessage, before: Promise<void>): Promise<{ confirmed: Promise<void> }> {
    await this.waitAfterRefusal(before);
    const queue = partitionQueueName(this.definition.queue, await this.partitionOf(message));
    return { confirmed: this.deps.publisher.publishRaw('', queue, message.content, partitionCopyProperties(message)) };
  }

  private partitionOf(message: ConsumeMessage): Promise<number> {
    return partitionOfMessage(message, this.deps.decoder, this.partitioning);
  }

  private async settle(delivery: Delivery, routed: Promise<{ confirmed: Promise<void> }>, before: Promise<void>): Promise<void> {
    const { message, acknowledger } = delivery;
    let refusal: { error: unknown } | undefined;
    try {
      await (
        await routed
      ).confirmed;
    } catch (error) {
      refusal = { error };
    }
    await before;
    if (refusal) {
      // Decided in delivery order: the ones before it that were confirmed are acked, it and the ones behind it are not.
      this.refused(message, refusal.error);
    }
    if (this.refusedAt !== undefined) {
      // Handed back in delivery order: they come back to the front of the queue, in this order.
      acknowledger.nack(message, true);
      this.deps.metrics.settled('requeue');
      return;
    }
    acknowledger.ack(message);
    this.backoffMs = FORWARD_RETRY_MS;
    this.lastProgressAt = Date.now();
    this.deps.metrics.settled('ack');
  }

  private refused(message: ConsumeMessage, error: unknown): void {
    if (this.refusedAt === undefined) {
      this.deps.logger.warn(
        `forwarding message ${messageIdOf(message)} of ${this.definition.queue} to its partition failed ` +
          `(${redactText(String(error))}): it and the ones behind it go back to the queue, in order; retrying in ${this.backoffMs} ms`,
      );
    }
    this.refusedAt ??= Date.now();
  }

  /** After a refusal: the deliveries before this one are settled (handed back) first, then forwarding waits out the backoff. */
  private async waitAfterRefusal(before: Promise<void>): Promise<void> {
    if (this.refusedAt === undefined) {
      return;
    }
    await before;
    const waitMs = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, FORWARD_RETRY_MAX_MS);
    await abortableDelay(waitMs, this.stopped.signal);
    this.refusedAt = undefined;
  }
}

/**
 * The partition of an event: `partitionOf(by(payload), count)` of the payload as published (before
 * validation), else KEYLESS_PARTITION. The router's rule, and warren/testing's for the same partitions in memory.
 */
export async function partitionOfMessage(
  message: ConsumeMessage,
  decoder: Pick<MessageDecoder, 'read'>,
  partitioning: Partitioning,
): Promise<number> {
  let key: unknown;
  try {
    const decoded: unknown = await decoder.read(message);
    key = partitioning.by(readEnvelope(decoded).data);
  } catch {
    return KEYLESS_PARTITION;
  }
  return isPartitionKey(key) ? partitionOf(key, partitioning.count) : KEYLESS_PARTITION;
}
