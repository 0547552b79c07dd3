import type { Channel } from 'amqplib';
import type { QueueType } from '../options/rabbitmq-options.interface.js';
import { deadLetterQueueName, unroutedExchangeName, unroutedQueueName } from './topology-names.js';

/**
 * Quorum queues return a message to the queue when its consumer dies; after this many deliveries
 * the broker dead-letters it instead, so a message that crashes the process cannot loop forever.
 */
export const DEFAULT_DELIVERY_LIMIT = 20;

/**
 * Declares the events exchange and its alternate exchange + queue. Idempotent: run on every
 * (re)connect by both connections, so either one can come up first.
 */
export async function declareEventsExchange(channel: Channel, exchange: string): Promise<void> {
  const unrouted = unroutedExchangeName(exchange);
  await channel.assertExchange(unrouted, 'fanout', { durable: true });
  await channel.assertQueue(unroutedQueueName(exchange), { durable: true });
  await channel.bindQueue(unroutedQueueName(exchange), unrouted, '');
  await channel.assertExchange(exchange, 'topic', {
    durable: true,
    alternateExchange: unrouted,
  });
}

/** Declares a handler queue, its dead-letter queue, and binds it to the exchange by pattern. */
export async function declareHandlerQueue(
  channel: Channel,
  spec: { exchange: string; queue: string; pattern: string; queueType: QueueType },
): Promise<void> {
  const dlq = deadLetterQueueName(spec.queue);
  await channel.assertQueue(dlq, { durable: true, arguments: queueTypeArguments(spec.queueType) });
  await channel.assertQueue(spec.queue, {
    durable: true,
    arguments: {
      ...queueTypeArguments(spec.queueType),
      // Broker-side dead-lettering is the backstop for messages we never get to settle
      // (delivery limit reached); our own dead-lettering adds the reason headers.
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': dlq,
      ...(spec.queueType === 'quorum' ? { 'x-delivery-limit': DEFAULT_DELIVERY_LIMIT } : {}),
    },
  });
  await channel.bindQueue(spec.queue, spec.exchange, spec.pattern);
}

function queueTypeArguments(queueType: QueueType): Record<string, unknown> {
  return { 'x-queue-type': queueType };
}
