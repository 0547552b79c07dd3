import { describe, expect, it } from '@jest/globals';
import type { ConsumeMessage } from 'amqplib';
import {
  HEADER_ERROR_MESSAGE,
  HEADER_ERROR_TYPE,
  HEADER_FAILED_AT,
  HEADER_HANDLER,
  HEADER_ORIGINAL_ROUTING_KEY,
  HEADER_RETRY_COUNT,
} from './message-headers.js';
import { failureCopyProperties } from './failure-copy.js';

function message(headers?: Record<string, unknown>): ConsumeMessage {
  return {
    content: Buffer.from('{"id":1}'),
    fields: {
      deliveryTag: 9,
      redelivered: false,
      exchange: 'warren.events',
      routingKey: 'order.created',
      consumerTag: 'ctag-1',
    },
    properties: {
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      headers,
      deliveryMode: 1,
      priority: 3,
      correlationId: 'corr-1',
      replyTo: 'amq.rabbitmq.reply-to',
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

const FAILURE = { type: 'Error', message: 'ECONNREFUSED' };
const CONTEXT = { handler: 'notifications.order-created', originalRoutingKey: 'order.created', retryCount: 2 };

describe('failureCopyProperties', () => {
  it('keeps the properties that describe the body and identify the message', () => {
    const copy = failureCopyProperties(message(), FAILURE, CONTEXT);
    expect(copy).toMatchObject({
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      messageId: 'msg-1',
      correlationId: 'corr-1',
      timestamp: 1_700_000_000,
      type: 'order.created',
      appId: 'shop',
    });
  });

  it('is persistent even when the original was not', () => {
    const copy = failureCopyProperties(message(), FAILURE, CONTEXT);
    expect(copy.persistent).toBe(true);
  });

  it('writes the reason headers', () => {
    const headers = failureCopyProperties(message(), FAILURE, CONTEXT).headers!;
    expect(headers[HEADER_ERROR_TYPE]).toBe('Error');
    expect(headers[HEADER_ERROR_MESSAGE]).toBe('ECONNREFUSED');
    expect(headers[HEADER_RETRY_COUNT]).toBe(2);
    expect(headers[HEADER_ORIGINAL_ROUTING_KEY]).toBe('order.created');
    expect(headers[HEADER_HANDLER]).toBe('notifications.order-created');
  });

  it('uses the documented header names', () => {
    const headers = failureCopyProperties(message(), FAILURE, CONTEXT).headers!;
    expect(Object.keys(headers as Record<string, unknown>).sort()).toEqual(
      ['x-error-message', 'x-error-type', 'x-failed-at', 'x-handler', 'x-original-routing-key', 'x-retry-count'].sort(),
    );
  });

  it('keeps the original headers alongside the reason headers', () => {
    const headers = failureCopyProperties(message({ tenant: 'acme', 'x-trace': 'abc' }), FAILURE, CONTEXT).headers!;
    expect(headers).toMatchObject({ tenant: 'acme', 'x-trace': 'abc', [HEADER_ERROR_TYPE]: 'Error' });
  });

  it('overrides reason headers left by an earlier failure', () => {
    const earlier = message({
      [HEADER_ERROR_TYPE]: 'OldError',
      [HEADER_ERROR_MESSAGE]: 'old message',
      [HEADER_RETRY_COUNT]: 1,
      [HEADER_FAILED_AT]: '2000-01-01T00:00:00.000Z',
    });
    const headers = failureCopyProperties(earlier, FAILURE, CONTEXT).headers!;
    expect(headers[HEADER_ERROR_TYPE]).toBe('Error');
    expect(headers[HEADER_ERROR_MESSAGE]).toBe('ECONNREFUSED');
    expect(headers[HEADER_RETRY_COUNT]).toBe(2);
    expect(headers[HEADER_FAILED_AT]).not.toBe('2000-01-01T00:00:00.000Z');
  });

  it('sets x-retry-count from the argument, not from the original header', () => {
    const headers = failureCopyProperties(message({ [HEADER_RETRY_COUNT]: 5 }), FAILURE, { ...CONTEXT, retryCount: 0 }).headers!;
    expect(headers[HEADER_RETRY_COUNT]).toBe(0);
  });

  it('stamps x-failed-at with the current time as an ISO date', () => {
    const before = Date.now();
    const failedAt = failureCopyProperties(message(), FAILURE, CONTEXT).headers![HEADER_FAILED_AT] as string;
    const after = Date.now();
    expect(failedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(new Date(failedAt).toISOString()).toBe(failedAt);
    expect(Date.parse(failedAt)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(failedAt)).toBeLessThanOrEqual(after);
  });

  it('does not modify the original message headers', () => {
    const original = message({ tenant: 'acme' });
    failureCopyProperties(original, FAILURE, CONTEXT);
    expect(original.properties.headers).toEqual({ tenant: 'acme' });
  });

  it('does not carry delivery-only properties: reply-to, expiration, user id', () => {
    const copy = failureCopyProperties(message(), FAILURE, CONTEXT);
    expect(copy.replyTo).toBeUndefined();
    expect(copy.expiration).toBeUndefined();
    expect(copy.userId).toBeUndefined();
  });

  it('stamps a derived messageId on the copy of a message that had none, the same on every failure', () => {
    const withoutId = message();
    withoutId.properties.messageId = undefined;
    const first = failureCopyProperties(withoutId, FAILURE, CONTEXT).messageId;
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8/);
    expect(failureCopyProperties(withoutId, FAILURE, CONTEXT).messageId).toBe(first);
  });

  it('leaves out headers over the budget and names them in x-error-message', () => {
    const headers = { tenant: 'acme', huge: 'x'.repeat(120 * 1024) };
    const copy = failureCopyProperties(message(headers), FAILURE, CONTEXT).headers!;
    expect(copy.tenant).toBe('acme');
    expect(copy).not.toHaveProperty('huge');
    expect(copy[HEADER_ERROR_MESSAGE]).toMatch(/^ECONNREFUSED \[1 header\(s\) left out of this copy, over the 16384-byte budget .*: huge\]$/);
  });

  it('carries no original header in the minimal form, and says so', () => {
    const copy = failureCopyProperties(message({ tenant: 'acme' }), FAILURE, CONTEXT, { minimal: true }).headers!;
    expect(copy).not.toHaveProperty('tenant');
    expect(copy[HEADER_ERROR_TYPE]).toBe('Error');
    expect(copy[HEADER_ERROR_MESSAGE]).toContain('the original headers were left out');
  });
});
