import { describe, expect, it } from '@jest/globals';
import type { GetMessage } from 'amqplib';
import { describeParkedMessage } from './parked-message.js';
import { formatDeath } from '../wire/x-death.js';

function parked(content: Buffer, headers: Record<string, unknown> = {}, contentEncoding?: string): GetMessage {
  return {
    content,
    fields: { deliveryTag: 1, redelivered: true, exchange: '', routingKey: 'q.dlq', messageCount: 4 },
    properties: { contentType: 'application/json', contentEncoding, headers, messageId: 'm-1', timestamp: 1_700_000_000 },
  } as unknown as GetMessage;
}

describe('describeParkedMessage', () => {
  it('reads every reason header and the body', () => {
    const described = describeParkedMessage(
      parked(Buffer.from('{"id":1}'), {
        'x-error-type': 'ValidationError',
        'x-error-message': 'quantity must not be less than 1',
        'x-failed-at': '2025-01-01T00:00:00.000Z',
        'x-retry-count': 0,
        'x-handler': 'orders.audit',
        'x-original-routing-key': 'order.created',
        'x-delivery-count': 2,
      }),
    );
    expect(described).toEqual({
      messageId: 'm-1',
      errorType: 'ValidationError',
      errorMessage: 'quantity must not be less than 1',
      failedAt: '2025-01-01T00:00:00.000Z',
      retryCount: 0,
      handler: 'orders.audit',
      originalRoutingKey: 'order.created',
      replayedAt: undefined,
      lastErrorType: undefined,
      deaths: [],
      deliveryCount: 2,
      redelivered: true,
      contentType: 'application/json',
      contentEncoding: undefined,
      timestamp: 1_700_000_000,
      bodyBytes: 8,
      body: '{"id":1}',
      bodyTruncated: false,
    });
  });

  it('cuts a long body at the byte budget without splitting a UTF-8 character', () => {
    const body = Buffer.from('ab€€€'); // '€' is 3 bytes: a budget of 6 ends inside the second one
    const described = describeParkedMessage(parked(body), 6);
    expect(described).toMatchObject({ body: 'ab€', bodyTruncated: true, bodyBytes: 11 });
  });

  it('truncates at 2 KB by default', () => {
    const described = describeParkedMessage(parked(Buffer.alloc(10_000, 'x')));
    expect(described.body).toHaveLength(2048);
    expect(described.bodyTruncated).toBe(true);
  });

  it('describes a compressed body instead of printing it', () => {
    const described = describeParkedMessage(parked(Buffer.from([0x1f, 0x8b, 0x08]), {}, 'gzip'));
    expect(described.body).toBe('<3 bytes, content-encoding gzip>');
  });

  it("summarises the broker's x-death history", () => {
    const described = describeParkedMessage(
      parked(Buffer.from('{}'), {
        'x-death': [
          {
            queue: 'q',
            reason: 'delivery_limit',
            count: 1,
            exchange: 'warren.events',
            'routing-keys': ['order.created'],
            time: { '!': 'timestamp', value: 1_700_000_000 },
          },
          { queue: 'q.retry.1000', reason: 'expired', count: 3, 'routing-keys': [Buffer.from('q.retry.1000')] },
          'not a table',
        ],
      }),
    );
    expect(described.deaths).toEqual([
      { queue: 'q', reason: 'delivery_limit', count: 1, exchange: 'warren.events', routingKeys: ['order.created'], time: '2023-11-14T22:13:20.000Z' },
      { queue: 'q.retry.1000', reason: 'expired', count: 3, exchange: undefined, routingKeys: ['q.retry.1000'], time: undefined },
    ]);
    expect(described.deaths.map(formatDeath)).toEqual(['1× delivery_limit in q (last 2023-11-14T22:13:20.000Z)', '3× expired in q.retry.1000']);
  });
});
