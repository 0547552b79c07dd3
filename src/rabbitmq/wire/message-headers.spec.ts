import { describe, expect, it } from '@jest/globals';
import type { ConsumeMessage } from 'amqplib';
import { HEADER_RETRY_COUNT, readRetryCount } from './message-headers.js';

/** Only the headers matter to the reader; the rest is what amqplib hands over. */
function message(options: { headers?: Record<string, unknown> } = {}): ConsumeMessage {
  return {
    content: Buffer.from('{}'),
    fields: { deliveryTag: 1, redelivered: false, exchange: 'warren.events', routingKey: 'order.created', consumerTag: 'ctag-1' },
    properties: { headers: options.headers },
  } as ConsumeMessage;
}

describe('readRetryCount', () => {
  it('reads 0 when there are no headers', () => {
    expect(readRetryCount(message())).toBe(0);
  });

  it('reads 0 when the header is missing', () => {
    expect(readRetryCount(message({ headers: { other: 'x' } }))).toBe(0);
  });

  it('reads a numeric header', () => {
    expect(readRetryCount(message({ headers: { [HEADER_RETRY_COUNT]: 3 } }))).toBe(3);
  });

  it('reads a string header', () => {
    expect(readRetryCount(message({ headers: { [HEADER_RETRY_COUNT]: '3' } }))).toBe(3);
  });

  it('reads the x-retry-count header', () => {
    expect(HEADER_RETRY_COUNT).toBe('x-retry-count');
    expect(readRetryCount(message({ headers: { 'x-retry-count': 4 } }))).toBe(4);
  });

  it.each([
    ['negative', -1],
    ['negative string', '-2'],
    ['fractional', 1.5],
    ['garbage string', 'abc'],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['null', null],
    ['an object', { count: 3 }],
  ])('reads 0 for a %s header', (_case, value) => {
    expect(readRetryCount(message({ headers: { [HEADER_RETRY_COUNT]: value } }))).toBe(0);
  });
});
