import type { Channel } from 'amqplib';
import type { QueueType } from '../options/rabbitmq-options.interface.js';
import { deadLetterQueueName, retryQueueName, unroutedExchangeName, unroutedQueueName } from './topology-names.js';

/**
 * Declares the events exchange and its alternate exchange + queue. Idempotent: run on every
 * (re)connect by both connections, so either one can come up first.
 */
export async function declareEventsExchange(channel: Channel, exchange: string, queueType: QueueType): Promise<void> {
  const unrouted = unroutedExchangeName(exchange);
  await channel.assertExchange(unrouted, 'fanout', { durable: true });
  // Replicated like the handler queues: a classic queue lives on one node, and while that node
  // is down every (re)declare of it fails — which would stop the service connecting at all.
  await channel.assertQueue(unroutedQueueName(exchange), { durable: true, arguments: { 'x-queue-type': queueType } });
  await channel.bindQueue(unroutedQueueName(exchange), unrouted, '');
  await channel.assertExchange(exchange, 'topic', {
    durable: true,
    alternateExchange: unrouted,
  });
}

export interface HandlerQueueSpec {
  exchange: string;
  queue: string;
  pattern: string;
  queueType: QueueType;
  deliveryLimit: number;
}

/** Declares a handler queue, its dead-letter queue, and binds it to the exchange by pattern. */
export async function declareHandlerQueue(channel: Channel, spec: HandlerQueueSpec): Promise<void> {
  const dlq = deadLetterQueueName(spec.queue);
  await channel.assertQueue(dlq, { durable: true, arguments: { 'x-queue-type': spec.queueType } });
  await channel.assertQueue(spec.queue, {
    durable: true,
    arguments: {
      'x-queue-type': spec.queueType,
      // Broker-side dead-lettering is the backstop for messages we never get to settle
      // (delivery limit reached); our own dead-lettering adds the reason headers.
      ...deadLetterTo(dlq, spec.queueType),
      ...(spec.queueType === 'quorum' ? { 'x-delivery-limit': spec.deliveryLimit } : {}),
    },
  });
  await channel.bindQueue(spec.queue, spec.exchange, spec.pattern);
}

/**
 * Declares `<queue>.retry.<delay>`: messages wait there for `delayMs` (per-queue TTL, so the
 * head always expires first) and are then dead-lettered through the default exchange to the
 * originating queue only — never re-published to the exchange, which would re-deliver the
 * event to every other handler of it.
 */
export async function declareRetryQueue(
  channel: Pick<Channel, 'assertQueue'>,
  spec: { queue: string; delayMs: number; queueType: QueueType },
): Promise<string> {
  const name = retryQueueName(spec.queue, spec.delayMs);
  await channel.assertQueue(name, {
    durable: true,
    arguments: {
      'x-queue-type': spec.queueType,
      'x-message-ttl': spec.delayMs,
      ...deadLetterTo(spec.queue, spec.queueType),
    },
  });
  return name;
}

/**
 * Dead-letter through the default exchange straight into `target`. Quorum queues dead-letter
 * at-most-once unless told otherwise; at-least-once (which needs reject-publish overflow)
 * keeps a message until the target queue has confirmed it.
 */
function deadLetterTo(target: string, queueType: QueueType): Record<string, unknown> {
  return {
    'x-dead-letter-exchange': '',
    'x-dead-letter-routing-key': target,
    ...(queueType === 'quorum' ? { 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' } : {}),
  };
}
