import { describe, expect, it } from '@jest/globals';
import type { ConsumeMessage, MessageProperties } from 'amqplib';
import { DecodeError } from '../errors/decode.error.js';
import { MessageTooLargeError } from '../errors/message-too-large.error.js';
import { deflateSync, gzipSync } from 'node:zlib';
import { JSON_CONTENT_TYPE, MSGPACK_CONTENT_TYPE, MSGPACK_LEGACY_CONTENT_TYPE } from '../rabbitmq.constants.js';
import { CodecRegistry } from './codec-registry.js';
import { JsonCodec } from './json.codec.js';
import { MsgpackCodec } from './msgpack.codec.js';
import type { MessageCodec } from './message-codec.interface.js';
import { MessageDecoder } from './message-decoder.js';

const MAX_BYTES = 1024;

/** A delivery as amqplib hands it over: plain data, built here rather than mocked. */
function delivery(body: string | Buffer, properties: Partial<MessageProperties> = {}): ConsumeMessage {
  return {
    content: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
    fields: {
      deliveryTag: 1,
      redelivered: false,
      exchange: 'warren.events',
      routingKey: 'order.created',
      consumerTag: 'ctag-1',
    },
    properties: {
      contentType: JSON_CONTENT_TYPE,
      contentEncoding: undefined,
      headers: {},
      deliveryMode: 2,
      priority: undefined,
      correlationId: undefined,
      replyTo: undefined,
      expiration: undefined,
      messageId: 'm-1',
      timestamp: undefined,
      type: 'order.created',
      userId: undefined,
      appId: 'test',
      clusterId: undefined,
      ...properties,
    },
  };
}

/** Counts calls so a test can prove the body was never parsed. */
class CountingCodec implements MessageCodec {
  readonly contentType = JSON_CONTENT_TYPE;
  calls = 0;
  encode(payload: unknown): Buffer {
    return Buffer.from(JSON.stringify(payload));
  }
  decode(body: Buffer): unknown {
    this.calls++;
    return JSON.parse(body.toString('utf8'));
  }
}

function decoder(maxBytes = MAX_BYTES, codecs: MessageCodec[] = [new JsonCodec()]): MessageDecoder {
  return new MessageDecoder(codecs, JSON_CONTENT_TYPE, maxBytes);
}

async function decodeErrorOf(message: ConsumeMessage, decodeWith: MessageDecoder = decoder()): Promise<DecodeError> {
  try {
    await decodeWith.decode(message);
  } catch (error) {
    expect(error).toBeInstanceOf(DecodeError);
    return error as DecodeError;
  }
  throw new Error('expected a DecodeError');
}

describe('MessageDecoder', () => {
  it('decodes a JSON body', async () => {
    const body = { orderId: 'o-1', items: [{ sku: 'A', qty: 2 }], note: 'héllo' };
    expect(await decoder().decode(delivery(JSON.stringify(body)))).toEqual(body);
  });

  it('decodes JSON scalars and arrays', async () => {
    expect(await decoder().decode(delivery('[1,2,3]'))).toEqual([1, 2, 3]);
    expect(await decoder().decode(delivery('"text"'))).toBe('text');
    expect(await decoder().decode(delivery('null'))).toBeNull();
  });

  it('ignores content-type parameters and case', async () => {
    expect(await decoder().decode(delivery('{"a":1}', { contentType: 'application/json; charset=utf-8' }))).toEqual({ a: 1 });
    expect(await decoder().decode(delivery('{"a":2}', { contentType: ' Application/JSON ;charset=UTF-8' }))).toEqual({ a: 2 });
  });

  it('decodes as JSON when content-type is missing or blank', async () => {
    expect(await decoder().decode(delivery('{"a":1}', { contentType: undefined }))).toEqual({ a: 1 });
    expect(await decoder().decode(delivery('{"a":2}', { contentType: '' }))).toEqual({ a: 2 });
    expect(await decoder().decode(delivery('{"a":3}', { contentType: '   ' }))).toEqual({ a: 3 });
  });

  it('accepts the identity content-encoding', async () => {
    expect(await decoder().decode(delivery('{"a":1}', { contentEncoding: 'identity' }))).toEqual({ a: 1 });
    expect(await decoder().decode(delivery('{"a":1}', { contentEncoding: '' }))).toEqual({ a: 1 });
  });

  it('refuses an unknown content-type with a DecodeError naming it', async () => {
    const error = await decodeErrorOf(delivery('<order/>', { contentType: 'application/xml' }));
    expect(error.name).toBe('DecodeError');
    expect(error.message).toContain('application/xml');
  });

  it('refuses invalid UTF-8 and deep nesting with a DecodeError saying which', async () => {
    const invalid = Buffer.concat([Buffer.from('{"orderId":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    expect((await decodeErrorOf(delivery(invalid))).message).toBe('body is not valid application/json: invalid UTF-8');
    const deep = `${'['.repeat(500)}${']'.repeat(500)}`;
    expect((await decodeErrorOf(delivery(deep))).message).toContain('nests deeper than 64 levels');
  });

  it('uses the default content type only when none is given', async () => {
    // text/plain is not JSON even if the body happens to be valid JSON.
    await expect(decoder().decode(delivery('{"a":1}', { contentType: 'text/plain' }))).rejects.toThrow(DecodeError);
  });

  it.each(['br', 'zstd', 'compress', 'gzip, deflate', 'BASE64'])('refuses content-encoding %p with a DecodeError', async (encoding) => {
    const error = await decodeErrorOf(delivery('{"a":1}', { contentEncoding: encoding }));
    expect(error.message).toContain(encoding.toLowerCase());
  });

  it.each(['{"a":', 'not json', '', '{a:1}'])('refuses a body that is not JSON (%p) with a DecodeError', async (body) => {
    const error = await decodeErrorOf(delivery(body));
    expect(error.message).toContain('application/json');
  });

  it('accepts a body of exactly maxMessageBytes', async () => {
    const body = `"${'x'.repeat(MAX_BYTES - 2)}"`;
    expect(Buffer.byteLength(body)).toBe(MAX_BYTES);
    expect(await decoder().decode(delivery(body))).toBe('x'.repeat(MAX_BYTES - 2));
  });

  it('refuses a body over maxMessageBytes with MessageTooLargeError, without parsing it', async () => {
    const codec = new CountingCodec();
    const body = `"${'x'.repeat(MAX_BYTES - 1)}"`;
    let caught: unknown;
    try {
      await decoder(MAX_BYTES, [codec]).decode(delivery(body));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MessageTooLargeError);
    expect(caught).not.toBeInstanceOf(DecodeError);
    expect((caught as MessageTooLargeError).sizeBytes).toBe(MAX_BYTES + 1);
    expect((caught as MessageTooLargeError).maxBytes).toBe(MAX_BYTES);
    expect(codec.calls).toBe(0);
  });

  it('counts bytes, not characters, against the limit', async () => {
    // 600 two-byte characters: 600 chars but 1202 bytes with quotes.
    const body = `"${'é'.repeat(600)}"`;
    await expect(decoder().decode(delivery(body))).rejects.toThrow(MessageTooLargeError);
  });

  it('checks the size before the content-type', async () => {
    const big = Buffer.alloc(MAX_BYTES + 1, 0x20);
    await expect(decoder().decode(delivery(big, { contentType: 'application/xml' }))).rejects.toThrow(MessageTooLargeError);
  });

  it('uses a registered codec chosen by content-type', async () => {
    const text: MessageCodec = {
      contentType: 'text/plain',
      encode: (payload) => Buffer.from(String(payload)),
      decode: (body) => body.toString('utf8').toUpperCase(),
    };
    const both = decoder(MAX_BYTES, [new JsonCodec(), text]);
    expect(await both.decode(delivery('hello', { contentType: 'text/plain; charset=utf-8' }))).toBe('HELLO');
    expect(await both.decode(delivery('{"a":1}'))).toEqual({ a: 1 });
  });
});

describe('MessageDecoder: MessagePack and compressed bodies', () => {
  const LIMIT = 64 * 1024;
  const registry = CodecRegistry.withBuiltins();
  const withBuiltins = (maxBytes = LIMIT): MessageDecoder => new MessageDecoder(registry, JSON_CONTENT_TYPE, maxBytes);
  const payload = {
    id: 'o-1',
    items: [
      { sku: 'A', qty: 2 },
      { sku: 'B', qty: 1 },
    ],
    note: 'naïve café 😀',
    nested: { deep: [[1], [2, [3]]] },
  };
  const msgpack = new MsgpackCodec().encode(payload);

  it.each([MSGPACK_CONTENT_TYPE, MSGPACK_LEGACY_CONTENT_TYPE, 'application/MSGPACK; foo=bar'])(
    'decodes MessagePack sent as %p',
    async (contentType) => {
      expect(await withBuiltins().decode(delivery(msgpack, { contentType }))).toEqual(payload);
    },
  );

  it.each([
    ['gzip', gzipSync],
    ['x-gzip', gzipSync],
    [' GZIP ', gzipSync],
    ['deflate', deflateSync],
  ] as const)('undoes content-encoding %p before decoding JSON and MessagePack', async (encoding, zip) => {
    const json = Buffer.from(JSON.stringify(payload));
    expect(await withBuiltins().decode(delivery(zip(json), { contentEncoding: encoding }))).toEqual(payload);
    expect(await withBuiltins().decode(delivery(zip(msgpack), { contentEncoding: encoding, contentType: MSGPACK_CONTENT_TYPE }))).toEqual(payload);
  });

  it('accepts a body that decompresses to exactly maxMessageBytes', async () => {
    const body = `"${'x'.repeat(LIMIT - 2)}"`;
    expect(await withBuiltins().decode(delivery(gzipSync(body), { contentEncoding: 'gzip' }))).toHaveLength(LIMIT - 2);
  });

  it.each([
    ['gzip', gzipSync],
    ['deflate', deflateSync],
  ] as const)('refuses a %s body that decompresses past maxMessageBytes with MessageTooLargeError', async (encoding, zip) => {
    const body = zip(`"${'x'.repeat(LIMIT - 1)}"`);
    expect(body.length).toBeLessThan(LIMIT);
    const error = await withBuiltins()
      .decode(delivery(body, { contentEncoding: encoding }))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MessageTooLargeError);
    expect((error as Error).name).toBe('MessageTooLargeError');
    expect((error as MessageTooLargeError).maxBytes).toBe(LIMIT);
    expect((error as Error).message).toContain(encoding);
  });

  it('stops inflating a zip bomb at the limit instead of expanding all of it', async () => {
    // 64 MiB of zeros in ~64 KB: decoding it whole would take 64 MiB.
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    const before = process.memoryUsage().arrayBuffers;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers)), 1);
    try {
      await expect(withBuiltins(1024 * 1024).decode(delivery(bomb, { contentEncoding: 'gzip' }))).rejects.toThrow(MessageTooLargeError);
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    expect(peak - before).toBeLessThan(16 * 1024 * 1024);
  });

  it.each([
    ['gzip', Buffer.from('{"a":1}')],
    ['gzip', gzipSync('{"a":1}').subarray(0, 12)],
    ['deflate', Buffer.from('not deflate')],
    ['deflate', gzipSync('{"a":1}')],
  ])('refuses a corrupt %s body with a DecodeError naming the encoding', async (encoding, body) => {
    const error = await decodeErrorOf(delivery(body, { contentEncoding: encoding }), withBuiltins());
    expect(error.message).toContain(encoding);
  });

  it.each([
    ['a truncated body', msgpack.subarray(0, msgpack.length - 3)],
    ['trailing bytes', Buffer.concat([msgpack, Buffer.from([0x01])])],
    ['the never-used byte 0xc1', Buffer.from([0xc1])],
    ['an empty body', Buffer.alloc(0)],
    ['JSON text', Buffer.from('{"a":1}')],
  ])('refuses MessagePack with %s as a DecodeError', async (_case, body) => {
    const error = await decodeErrorOf(delivery(body, { contentType: MSGPACK_CONTENT_TYPE }), withBuiltins());
    expect(error.message).toContain(MSGPACK_CONTENT_TYPE);
  });

  it('checks the content-type before inflating: a body it cannot read is never inflated', async () => {
    // Not gzip at all: had it been inflated, the error would be about gzip.
    const error = await decodeErrorOf(delivery('<order/>', { contentEncoding: 'gzip', contentType: 'application/xml' }), withBuiltins());
    expect(error.message).toContain("unsupported content-type 'application/xml'");
  });

  it('checks the bytes on the wire before inflating', async () => {
    // Over the limit on the wire, and not even gzip: refused by size alone.
    const wire = Buffer.alloc(LIMIT + 1, 'a');
    await expect(withBuiltins().decode(delivery(wire, { contentEncoding: 'gzip' }))).rejects.toThrow(MessageTooLargeError);
  });

  it('uses a team codec registered next to the built-ins, and lets it replace one', async () => {
    const upper: MessageCodec = {
      contentType: 'application/x-protobuf',
      aliases: ['application/protobuf'],
      encode: (value) => Buffer.from(String(value)),
      decode: (body) => body.toString('utf8').toUpperCase(),
    };
    const reviving: MessageCodec = {
      contentType: JSON_CONTENT_TYPE,
      encode: (value) => Buffer.from(JSON.stringify(value)),
      decode: (body) => ({ revived: JSON.parse(body.toString('utf8')) as unknown }),
    };
    const custom = new MessageDecoder(CodecRegistry.withBuiltins([upper, reviving]), JSON_CONTENT_TYPE, LIMIT);
    expect(await custom.decode(delivery('abc', { contentType: 'application/x-protobuf' }))).toBe('ABC');
    expect(await custom.decode(delivery(gzipSync('abc'), { contentType: 'application/protobuf', contentEncoding: 'gzip' }))).toBe('ABC');
    expect(await custom.decode(delivery('{"a":1}'))).toEqual({ revived: { a: 1 } });
    expect(await custom.decode(delivery(msgpack, { contentType: MSGPACK_CONTENT_TYPE }))).toEqual(payload);
  });
});
