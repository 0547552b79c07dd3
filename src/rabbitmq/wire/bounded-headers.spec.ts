import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { boundHeaders, CARRIED_HEADERS_BUDGET_BYTES, fieldValueSize } from './bounded-headers.js';

// amqplib's own encoder, to check our sizes against the bytes it really writes (test only: the
// package does not export it).
const require = createRequire(import.meta.url);
const defs = require(join(dirname(require.resolve('amqplib')), 'lib', 'defs.js')) as {
  encodeProperties(classId: number, channel: number, size: number, fields: Record<string, unknown>): Buffer;
};

/** Bytes amqplib writes for a header table holding only `value` under `key`, minus the table length. */
function encodedSize(key: string, value: unknown): number {
  const empty = defs.encodeProperties(60, 1, 0, { headers: {} }).length;
  return defs.encodeProperties(60, 1, 0, { headers: { [key]: value } }).length - empty;
}

describe('fieldValueSize', () => {
  it.each([
    ['a string', 'trace-0af7651916cd43dd8448eb211c80319c'],
    ['a multi-byte string', 'Zoë 東京 🐇'],
    ['an integer', 42],
    ['a large integer', 2 ** 40],
    ['a double', 3.25],
    ['a boolean', true],
    ['null', null],
    ['a byte array', Buffer.from([1, 2, 3, 4])],
    ['an array', ['a', 1, [true, null]]],
    ['a nested table', { a: 'b', c: { d: [1, 2] } }],
    ['an x-death record', [{ count: 1, reason: 'expired', queue: 'q.retry.1000', time: { '!': 'timestamp', value: 1_700_000_000 } }]],
    ['a decimal', { '!': 'decimal', value: { places: 2, digits: 1234 } }],
  ])('is at least what amqplib writes for %s', (_case, value) => {
    expect(1 + 'k'.length + fieldValueSize(value, Infinity, 0)).toBeGreaterThanOrEqual(encodedSize('k', value));
  });

  it('reports values amqplib cannot encode as too large', () => {
    expect(fieldValueSize(10n, Infinity, 0)).toBe(Infinity);
    expect(fieldValueSize({ '!': 'no-such-type', value: 1 }, Infinity, 0)).toBe(Infinity);
    expect(fieldValueSize(() => 1, Infinity, 0)).toBe(Infinity);
  });

  it('stops measuring once past the limit', () => {
    const wide = Array.from({ length: 100_000 }, () => 'xxxxxxxxxx');
    expect(fieldValueSize(wide, 100, 0)).toBeGreaterThan(100);
    expect(fieldValueSize(wide, 100, 0)).toBeLessThan(200);
  });

  it('gives up on tables nested deeper than any real header', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100; i++) {
      deep = { next: deep };
    }
    expect(fieldValueSize(deep, Infinity, 0)).toBe(Infinity);
  });
});

describe('boundHeaders', () => {
  it('keeps every header of an ordinary message', () => {
    const headers = { tenant: 'acme', 'x-trace': 'abc', attempt: 2 };
    expect(boundHeaders(headers, CARRIED_HEADERS_BUDGET_BYTES)).toEqual({ headers, dropped: [] });
  });

  it('drops the headers that do not fit and keeps the small ones after them, in order', () => {
    const headers = { first: 'a', huge: 'x'.repeat(60_000), second: 'b', big: 'y'.repeat(60_000), third: 3 };
    const bounded = boundHeaders(headers, CARRIED_HEADERS_BUDGET_BYTES);
    expect(Object.keys(bounded.headers)).toEqual(['first', 'second', 'third']);
    expect(bounded.dropped).toEqual(['huge', 'big']);
  });

  it('turns 120 KiB of headers into a table amqplib can encode', () => {
    const headers: Record<string, unknown> = {};
    for (let i = 0; i < 120; i++) {
      headers[`h-${i}`] = 'z'.repeat(1024);
    }
    expect(() => defs.encodeProperties(60, 1, 0, { headers })).toThrow(/encoding buffer/);
    const bounded = boundHeaders(headers, CARRIED_HEADERS_BUDGET_BYTES);
    expect(bounded.dropped.length).toBeGreaterThan(100);
    const encoded = defs.encodeProperties(60, 1, 0, { headers: bounded.headers });
    expect(encoded.length).toBeLessThanOrEqual(CARRIED_HEADERS_BUDGET_BYTES + 64);
  });

  it('leaves out the keys it is told to skip without counting them', () => {
    const bounded = boundHeaders({ 'x-error-message': 'x'.repeat(100), keep: 1 }, 20, new Set(['x-error-message']));
    expect(bounded).toEqual({ headers: { keep: 1 }, dropped: [] });
  });

  it('drops a key longer than an AMQP short string', () => {
    expect(boundHeaders({ ['k'.repeat(300)]: 1 }, CARRIED_HEADERS_BUDGET_BYTES).dropped).toHaveLength(1);
  });
});
