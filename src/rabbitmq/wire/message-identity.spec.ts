import { describe, expect, it } from '@jest/globals';
import type { ConsumeMessage, MessageProperties } from 'amqplib';
import { HEADER_ORIGINAL_ROUTING_KEY } from './message-headers.js';
import { derivedMessageId, messageIdOf, originalRoutingKey } from './message-identity.js';

function delivery(body: string, properties: Partial<MessageProperties> = {}, fields: Partial<ConsumeMessage['fields']> = {}): ConsumeMessage {
  return {
    content: Buffer.from(body),
    fields: { deliveryTag: 1, redelivered: false, exchange: 'warren.events', routingKey: 'order.created', consumerTag: 'c', ...fields },
    properties: { headers: {}, timestamp: 1_700_000_000, ...properties } as MessageProperties,
  };
}

describe('messageIdOf', () => {
  it("is the producer's message_id when it set one", () => {
    expect(messageIdOf(delivery('{}', { messageId: 'evt-1' }))).toBe('evt-1');
  });

  it('derives a UUID-shaped id (version 8) when the producer set none', () => {
    expect(messageIdOf(delivery('{"orderId":"o-1"}'))).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('is the same on a redelivery and on a retry copy (default exchange, original key in a header)', () => {
    const first = delivery('{"orderId":"o-1"}');
    const redelivered = delivery('{"orderId":"o-1"}', {}, { redelivered: true, deliveryTag: 7 });
    const retried = delivery(
      '{"orderId":"o-1"}',
      { headers: { [HEADER_ORIGINAL_ROUTING_KEY]: 'order.created', 'x-retry-count': 1 } },
      { exchange: '', routingKey: 'svc.q' },
    );
    expect(messageIdOf(redelivered)).toBe(messageIdOf(first));
    expect(messageIdOf(retried)).toBe(messageIdOf(first));
  });

  it('differs when the body, routing key, timestamp, type or app id differ', () => {
    const base = derivedMessageId(delivery('{"orderId":"o-1"}'));
    expect(derivedMessageId(delivery('{"orderId":"o-2"}'))).not.toBe(base);
    expect(derivedMessageId(delivery('{"orderId":"o-1"}', {}, { routingKey: 'order.updated' }))).not.toBe(base);
    expect(derivedMessageId(delivery('{"orderId":"o-1"}', { timestamp: 1_700_000_001 }))).not.toBe(base);
    expect(derivedMessageId(delivery('{"orderId":"o-1"}', { type: 'order.created' }))).not.toBe(base);
    expect(derivedMessageId(delivery('{"orderId":"o-1"}', { appId: 'shop' }))).not.toBe(base);
  });
});

describe('originalRoutingKey', () => {
  it('prefers the header a retry copy carries over the delivery routing key', () => {
    expect(originalRoutingKey(delivery('{}'))).toBe('order.created');
    expect(originalRoutingKey(delivery('{}', { headers: { [HEADER_ORIGINAL_ROUTING_KEY]: 'user.registered' } }, { routingKey: 'q' }))).toBe(
      'user.registered',
    );
  });
});
