import { describe, expect, it } from '@jest/globals';
import { pack, Packr, unpack } from 'msgpackr';
import { MSGPACK_CONTENT_TYPE, MSGPACK_LEGACY_CONTENT_TYPE } from '../rabbitmq.constants.js';
import { JsonCodec } from './json.codec.js';
import { MsgpackCodec } from './msgpack.codec.js';

const codec = new MsgpackCodec();

describe('MsgpackCodec', () => {
  it('writes application/msgpack and also accepts application/x-msgpack', () => {
    expect(codec.contentType).toBe(MSGPACK_CONTENT_TYPE);
    expect(codec.aliases).toEqual([MSGPACK_LEGACY_CONTENT_TYPE]);
  });

  it('round-trips nested objects, arrays, unicode, numbers, booleans and null', () => {
    const payload = {
      orderId: '3f1c8a52-9d4e',
      items: [
        { sku: 'A-1', qty: 2, price: 19.99, tags: ['x', 'y'] },
        { sku: 'B-2', qty: 1, price: -0.5, tags: [] },
      ],
      customer: { name: 'Zoë Ångström', city: '東京', emoji: '🐇🥕' },
      flags: { gift: true, express: false },
      note: null,
      empty: {},
      big: 2 ** 40,
    };
    expect(codec.decode(codec.encode(payload))).toEqual(payload);
  });

  it.each([0, -1, 127, 128, 65_536, 2 ** 53 - 1, 1.5, 'text', '', true, false, null, [], [1, [2, [3]]]])('round-trips %p', (value) => {
    expect(codec.decode(codec.encode(value))).toEqual(value);
  });

  it('drops undefined fields and writes undefined as nil, like JSON', () => {
    expect(codec.decode(codec.encode({ a: 1, b: undefined }))).toEqual({ a: 1 });
    expect(Object.keys(codec.decode(codec.encode({ a: 1, b: undefined })) as object)).toEqual(['a']);
    expect(codec.decode(codec.encode([1, undefined]))).toEqual([1, null]);
    expect(codec.decode(codec.encode(undefined))).toBeNull();
  });

  it('writes standard MessagePack maps that any decoder reads (no msgpackr records)', () => {
    const payload = { a: 1, list: [{ b: 'c' }, { b: 'd' }] };
    const encoded = codec.encode(payload);
    // fixmap with 2 entries: a plain map, not msgpackr's record extension (0xd4 0x72).
    expect(encoded[0]).toBe(0x82);
    expect(encoded.includes(Buffer.from([0xd4, 0x72]))).toBe(false);
    expect(unpack(encoded)).toEqual(payload);
  });

  it('reads what other MessagePack writers produce, records included', () => {
    expect(codec.decode(pack({ from: 'msgpackr' }))).toEqual({ from: 'msgpackr' });
    expect(codec.decode(new Packr({ useRecords: true }).pack({ from: 'records' }))).toEqual({ from: 'records' });
  });

  it('is more compact than JSON for typical events', () => {
    const payload = { items: Array.from({ length: 50 }, (_, i) => ({ sku: `SKU-${i}`, quantity: i % 7, price: 1999 + i })) };
    expect(codec.encode(payload).length).toBeLessThan(new JsonCodec().encode(payload).length);
  });

  it('keeps integers beyond 2^53 exact as bigint and smaller ones as numbers', () => {
    const decoded = codec.decode(codec.encode({ small: 42, huge: 2n ** 60n })) as { small: unknown; huge: unknown };
    expect(decoded.small).toBe(42);
    expect(decoded.huge).toBe(2n ** 60n);
  });

  it('carries a Date as a MessagePack timestamp', () => {
    const at = new Date('2026-01-02T03:04:05.678Z');
    expect(codec.decode(codec.encode({ at }))).toEqual({ at });
  });

  it('does not turn a __proto__ key into a prototype', () => {
    const encoded = Buffer.from([0x81, 0xa9, ...Buffer.from('__proto__'), 0x81, 0xa5, ...Buffer.from('admin'), 0xc3]);
    const decoded = codec.decode(encoded) as Record<string, unknown>;
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect((decoded as { admin?: unknown }).admin).toBeUndefined();
    expect(({} as { admin?: unknown }).admin).toBeUndefined();
  });

  it('returns buffers that stay intact after later encodes', () => {
    const first = codec.encode({ n: 1, text: 'first' });
    const copy = Buffer.from(first);
    for (let i = 0; i < 1_000; i++) codec.encode({ n: i, text: 'x'.repeat(i % 300) });
    expect(first.equals(copy)).toBe(true);
  });

  it.each([
    ['truncated', Buffer.from([0x92, 0x01])],
    ['empty', Buffer.alloc(0)],
    ['trailing bytes', Buffer.from([0x01, 0x02])],
    ['0xc1', Buffer.from([0xc1])],
    ['a string longer than the body', Buffer.from([0xdb, 0xff, 0xff, 0xff, 0xff, 0x61])],
  ])('throws on %s input', (_case, body) => {
    expect(() => codec.decode(body)).toThrow();
  });
});
