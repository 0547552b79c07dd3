import { describe, expect, it } from '@jest/globals';
import type { ParkedMessage } from '../rabbitmq/admin.js';
import { formatListing, formatPeek, printable } from './dlq-output.js';

const PARKED: ParkedMessage = {
  messageId: 'm-1',
  errorType: 'DecodeError',
  errorMessage: 'body is not valid application/json',
  failedAt: '2025-01-01T00:00:00.000Z',
  retryCount: 0,
  handler: 'orders.audit',
  originalRoutingKey: 'order.created',
  deaths: [{ queue: 'q', reason: 'delivery_limit', count: 1, routingKeys: ['order.created'] }],
  redelivered: false,
  bodyBytes: 9,
  body: '{"broken"',
  bodyTruncated: false,
};

describe('formatListing', () => {
  it('aligns columns and marks a DLQ that does not exist', () => {
    const text = formatListing(
      [
        { queue: 'svc.orders.audit', dlq: 'svc.orders.audit.dlq', messages: 12 },
        { queue: 'svc.x', dlq: 'svc.x.dlq', messages: null },
      ],
      { exchange: 'warren.events', queue: 'warren.events.unrouted', messages: 0 },
    );
    expect(text.split('\n')).toEqual([
      'QUEUE                     DLQ                     MESSAGES',
      'svc.orders.audit          svc.orders.audit.dlq    12',
      'svc.x                     svc.x.dlq               - (no such queue)',
      'warren.events (unrouted)  warren.events.unrouted  0',
    ]);
  });
});

describe('formatPeek', () => {
  it('prints the id, every reason header present, the x-death history and the body', () => {
    const text = formatPeek({ queue: 'q', dlq: 'q.dlq', depth: 7, messages: [PARKED] });
    expect(text).toBe(
      [
        'q.dlq: showing 1 of 7 message(s) (nothing removed)',
        '',
        '#1 messageId: m-1',
        '  x-error-type: DecodeError',
        '  x-error-message: body is not valid application/json',
        '  x-failed-at: 2025-01-01T00:00:00.000Z',
        '  x-retry-count: 0',
        '  x-handler: orders.audit',
        '  x-original-routing-key: order.created',
        '  x-death: 1× delivery_limit in q',
        '  body: {"broken"',
      ].join('\n'),
    );
  });

  it('says when the body is only the first part', () => {
    const text = formatPeek({ queue: 'q', dlq: 'q.dlq', depth: 1, messages: [{ ...PARKED, body: 'xx', bodyBytes: 5000, bodyTruncated: true }] });
    expect(text).toContain('  body (first part of 5000 bytes): xx');
  });
});

describe('printable', () => {
  it('escapes newlines and terminal control sequences from untrusted message content', () => {
    expect(printable('a\nb\tc\u001b[2Jd\u0000')).toBe('a\\nb\\tc\\u001b[2Jd\\u0000');
    expect(printable('plain € text')).toBe('plain € text');
  });

  it('escapes bidi controls and line separators, and masks URL passwords, as the log does', () => {
    expect(printable('a\u202eb\u200fc\u2028d\u0085e')).toBe('a\\u202eb\\u200fc\\u2028d\\u0085e');
    expect(printable('amqp://u:s3cret@h')).toBe('amqp://u:***@h');
  });
});

describe('formatPeek with hostile fields', () => {
  it('escapes the x-death history: no clear-screen, window title or forged header line', () => {
    const queue = 'q\u001b[2J\u001b]0;ok\u0007\n  x-error-type: AllGood';
    const text = formatPeek({ queue: 'q', dlq: 'q.dlq', depth: 1, messages: [{ ...PARKED, deaths: [{ ...PARKED.deaths[0], queue }] }] });
    expect(text).toContain('  x-death: 1× delivery_limit in q\\u001b[2J\\u001b]0;ok\\u0007\\n  x-error-type: AllGood');
    expect(text.split('\n').filter((line) => line.includes('x-error-type'))).toHaveLength(2);
    expect(text.split('\n').filter((line) => line.startsWith('  x-error-type'))).toEqual(['  x-error-type: DecodeError']);
  });
});
