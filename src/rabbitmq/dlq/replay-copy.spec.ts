import { describe, expect, it } from '@jest/globals';
import type { GetMessage } from 'amqplib';
import { parkedRoutingKey, replayCopyProperties } from './replay-copy.js';

const REPLAYED_AT = new Date('2025-01-02T03:04:05.678Z');
const RUN_ID = 'run-1';

function parked(headers: Record<string, unknown> | undefined, routingKey = 'orders.audit.dlq'): GetMessage {
  return {
    content: Buffer.from('{"id":1}'),
    fields: { deliveryTag: 1, redelivered: false, exchange: '', routingKey, messageCount: 0 },
    properties: {
      contentType: 'application/json',
      contentEncoding: undefined,
      headers,
      deliveryMode: 2,
      priority: 3,
      correlationId: 'corr-1',
      replyTo: undefined,
      expiration: '60000',
      messageId: 'msg-1',
      timestamp: 1_700_000_000,
      type: 'order.created',
      userId: 'guest',
      appId: 'shop',
      clusterId: undefined,
    },
  };
}

const REASON = {
  'x-error-type': 'DownstreamError',
  'x-error-message': 'inventory down',
  'x-failed-at': '2025-01-01T00:00:00.000Z',
  'x-retry-count': 5,
  'x-original-routing-key': 'order.created',
  'x-handler': 'orders.audit',
};

describe('replayCopyProperties', () => {
  it('keeps body properties and messageId, resets the attempt count and moves the reason into history', () => {
    const copy = replayCopyProperties(parked({ ...REASON, 'x-tenant': 'acme' }), 'orders.audit', REPLAYED_AT, RUN_ID);
    expect(copy).toMatchObject({
      contentType: 'application/json',
      correlationId: 'corr-1',
      messageId: 'msg-1',
      timestamp: 1_700_000_000,
      type: 'order.created',
      appId: 'shop',
      priority: 3,
      persistent: true,
      mandatory: true,
    });
    expect(copy.headers).toEqual({
      'x-retry-count': 0,
      'x-original-routing-key': 'order.created',
      'x-handler': 'orders.audit',
      'x-replayed-at': '2025-01-02T03:04:05.678Z',
      'x-replay-run': RUN_ID,
      'x-last-error-type': 'DownstreamError',
      'x-tenant': 'acme',
    });
  });

  it('does not copy expiration or userId (a stale TTL or a foreign user would lose or reject the copy)', () => {
    const copy = replayCopyProperties(parked(REASON), 'orders.audit', REPLAYED_AT, RUN_ID);
    expect(copy).not.toHaveProperty('expiration');
    expect(copy).not.toHaveProperty('userId');
  });

  it("drops the broker's history headers: the copy is a new message with a fresh delivery count", () => {
    const copy = replayCopyProperties(
      parked({
        ...REASON,
        'x-death': [{ queue: 'orders.audit.retry.1000', reason: 'expired', count: 2, 'routing-keys': ['orders.audit.retry.1000'] }],
        'x-first-death-reason': 'expired',
        'x-first-death-queue': 'orders.audit.retry.1000',
        'x-first-death-exchange': '',
        'x-last-death-reason': 'expired',
        'x-last-death-queue': 'orders.audit.retry.1000',
        'x-last-death-exchange': '',
        'x-delivery-count': 3,
      }),
      'orders.audit',
      REPLAYED_AT,
      RUN_ID,
    );
    expect(Object.keys((copy.headers ?? {}) as Record<string, unknown>).filter((name) => /death|delivery-count/.test(name))).toEqual([]);
  });

  it("replaces replay headers a producer set: x-replayed-at and x-replay-run are the run's own", () => {
    const copy = replayCopyProperties(
      parked({ ...REASON, 'x-replayed-at': '9999-12-31T23:59:59.999Z', 'x-replay-run': 'forged' }),
      'orders.audit',
      REPLAYED_AT,
      RUN_ID,
    );
    expect(copy.headers).toMatchObject({ 'x-replayed-at': '2025-01-02T03:04:05.678Z', 'x-replay-run': RUN_ID });
  });

  it('does not mutate the parked message', () => {
    const message = parked({ ...REASON });
    replayCopyProperties(message, 'orders.audit', REPLAYED_AT, RUN_ID);
    expect(message.properties.headers).toEqual(REASON);
  });

  it('recovers the routing key and reason of a message the broker parked itself (delivery-limit backstop)', () => {
    const copy = replayCopyProperties(
      parked({
        'x-death': [
          {
            queue: 'orders.audit',
            reason: 'delivery_limit',
            count: 1,
            exchange: 'warren.events',
            'routing-keys': ['order.created'],
            time: { '!': 'timestamp', value: 1_700_000_000 },
          },
        ],
        'x-first-death-reason': 'delivery_limit',
        'x-delivery-count': 20,
      }),
      'orders.audit',
      REPLAYED_AT,
      RUN_ID,
    );
    expect(copy.headers).toEqual({
      'x-retry-count': 0,
      'x-original-routing-key': 'order.created',
      'x-replayed-at': '2025-01-02T03:04:05.678Z',
      'x-replay-run': RUN_ID,
      'x-last-error-type': 'delivery_limit',
    });
  });

  it('keeps the previous x-last-error-type when the message carries no fresh reason', () => {
    const copy = replayCopyProperties(parked({ 'x-last-error-type': 'DecodeError' }), 'orders.audit', REPLAYED_AT, RUN_ID);
    expect(copy.headers?.['x-last-error-type']).toBe('DecodeError');
  });

  it('leaves out headers over the carried-headers budget, so the copy can be encoded', () => {
    const headers = replayCopyProperties(
      parked({ ...REASON, tenant: 'acme', blob: 'x'.repeat(120 * 1024) }),
      'orders.audit',
      REPLAYED_AT,
      RUN_ID,
    ).headers!;
    expect(headers.tenant).toBe('acme');
    expect(headers).not.toHaveProperty('blob');
    expect(headers['x-retry-count']).toBe(0);
    expect(headers['x-original-routing-key']).toBe('order.created');
  });

  it('adds no routing key header when none can be recovered', () => {
    const copy = replayCopyProperties(parked(undefined), 'orders.audit', REPLAYED_AT, RUN_ID);
    expect(copy.headers).toEqual({ 'x-retry-count': 0, 'x-replayed-at': '2025-01-02T03:04:05.678Z', 'x-replay-run': RUN_ID });
  });
});

describe('parkedRoutingKey', () => {
  it('prefers our header, accepting a Buffer (byte-array header from another client)', () => {
    expect(parkedRoutingKey(parked({ 'x-original-routing-key': Buffer.from('user.registered') }), 'q')).toBe('user.registered');
  });

  it("uses only the x-death entry of the handler queue itself, not a retry queue's", () => {
    const message = parked({
      'x-death': [
        { queue: 'q.retry.1000', reason: 'expired', count: 1, 'routing-keys': ['q.retry.1000'] },
        { queue: 'q', reason: 'delivery_limit', count: 1, 'routing-keys': ['order.created'] },
      ],
    });
    expect(parkedRoutingKey(message, 'q')).toBe('order.created');
    expect(parkedRoutingKey(message, 'other')).toBeUndefined();
  });
});
