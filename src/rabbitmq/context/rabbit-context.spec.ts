import { describe, expect, it } from '@jest/globals';
import type { ConsumeMessage } from 'amqplib';
import { HEADER_RETRY_COUNT } from '../wire/message-headers.js';
import { RabbitContext } from './rabbit-context.js';

/** A ConsumeMessage as amqplib hands it over; only what the tests set differs. */
function message(
  options: { headers?: Record<string, unknown>; messageId?: string; correlationId?: string; redelivered?: boolean } = {},
): ConsumeMessage {
  return {
    content: Buffer.from('{}'),
    fields: {
      deliveryTag: 1,
      redelivered: options.redelivered ?? false,
      exchange: 'warren.events',
      routingKey: 'order.created',
      consumerTag: 'ctag-1',
    },
    properties: {
      contentType: 'application/json',
      contentEncoding: undefined,
      headers: options.headers,
      deliveryMode: 2,
      priority: undefined,
      correlationId: options.correlationId,
      replyTo: undefined,
      expiration: undefined,
      messageId: options.messageId,
      timestamp: undefined,
      type: undefined,
      userId: undefined,
      appId: undefined,
      clusterId: undefined,
    },
  };
}

describe('RabbitContext', () => {
  it('exposes the message, pattern and queue it was built with', () => {
    const raw = message();
    const context = new RabbitContext([raw, 'order.created', 'shop.order-created']);
    expect(context.getMessage()).toBe(raw);
    expect(context.getPattern()).toBe('order.created');
    expect(context.getQueue()).toBe('shop.order-created');
  });

  it('reads the message id and correlation id from the properties', () => {
    const context = new RabbitContext([message({ messageId: 'msg-42', correlationId: 'corr-7' }), 'order.created', 'shop.order-created']);
    expect(context.getMessageId()).toBe('msg-42');
    expect(context.getCorrelationId()).toBe('corr-7');
  });

  it('drops a correlation id that is not a plain id (CR/LF, over 128 characters)', () => {
    const forged = `x\r\nFORGED ${'a'.repeat(240)}`;
    expect(new RabbitContext([message({ correlationId: forged }), 'p', 'q']).getCorrelationId()).toBeUndefined();
    expect(new RabbitContext([message({ correlationId: 'a'.repeat(129) }), 'p', 'q']).getCorrelationId()).toBeUndefined();
  });

  it('derives a stable message id when the publisher set none; no correlation id', () => {
    const context = new RabbitContext([message(), 'p', 'q']);
    expect(context.getMessageId()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new RabbitContext([message(), 'p', 'q']).getMessageId()).toBe(context.getMessageId());
    expect(context.getCorrelationId()).toBeUndefined();
  });

  it('reports redelivery from the delivery fields', () => {
    expect(new RabbitContext([message({ redelivered: true }), 'p', 'q']).isRedelivered()).toBe(true);
    expect(new RabbitContext([message({ redelivered: false }), 'p', 'q']).isRedelivered()).toBe(false);
  });

  it('reports the retry count from the header, 0 on a first delivery', () => {
    expect(new RabbitContext([message(), 'p', 'q']).getRetryCount()).toBe(0);
    expect(new RabbitContext([message({ headers: { [HEADER_RETRY_COUNT]: '2' } }), 'p', 'q']).getRetryCount()).toBe(2);
    expect(new RabbitContext([message({ headers: { [HEADER_RETRY_COUNT]: 'oops' } }), 'p', 'q']).getRetryCount()).toBe(0);
  });

  it('keeps a captured failure until asked', () => {
    const context = new RabbitContext([message(), 'p', 'q']);
    expect(context.capturedFailure()).toBeUndefined();
    const error = new Error('handler failed');
    context.captureFailure(error);
    expect(context.capturedFailure()).toEqual({ error });
    expect(context.capturedFailure()?.error).toBe(error);
  });

  it('keeps a captured failure that is not an Error, even undefined', () => {
    const context = new RabbitContext([message(), 'p', 'q']);
    context.captureFailure(undefined);
    expect(context.capturedFailure()).toEqual({ error: undefined });
  });
});
