import { describe, expect, it } from '@jest/globals';
import type { ConsumeMessage, MessageProperties } from 'amqplib';
import { DecodeError } from '../errors/decode.error.js';
import { MessageTooLargeError } from '../errors/message-too-large.error.js';
import { JSON_CONTENT_TYPE } from '../rabbitmq.constants.js';
import { JsonCodec } from './json.codec.js';
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

function decodeErrorOf(message: ConsumeMessage): DecodeError {
  try {
    decoder().decode(message);
  } catch (error) {
    expect(error).toBeInstanceOf(DecodeError);
    return error as DecodeError;
  }
  throw new Error('expected a DecodeError');
}

describe('MessageDecoder', () => {
  it('decodes a JSON body', () => {
    const body = { orderId: 'o-1', items: [{ sku: 'A', qty: 2 }], note: 'héllo' };
    expect(decoder().decode(delivery(JSON.stringify(body)))).toEqual(body);
  });

  it('decodes JSON scalars and arrays', () => {
    expect(decoder().decode(delivery('[1,2,3]'))).toEqual([1, 2, 3]);
    expect(decoder().decode(delivery('"text"'))).toBe('text');
    expect(decoder().decode(delivery('null'))).toBeNull();
  });

  it('ignores content-type parameters and case', () => {
    expect(decoder().decode(delivery('{"a":1}', { contentType: 'application/json; charset=utf-8' }))).toEqual({ a: 1 });
    expect(decoder().decode(delivery('{"a":2}', { contentType: ' Application/JSON ;charset=UTF-8' }))).toEqual({ a: 2 });
  });

  it('decodes as JSON when content-type is missing or blank', () => {
    expect(decoder().decode(delivery('{"a":1}', { contentType: undefined }))).toEqual({ a: 1 });
    expect(decoder().decode(delivery('{"a":2}', { contentType: '' }))).toEqual({ a: 2 });
    expect(decoder().decode(delivery('{"a":3}', { contentType: '   ' }))).toEqual({ a: 3 });
  });

  it('accepts the identity content-encoding', () => {
    expect(decoder().decode(delivery('{"a":1}', { contentEncoding: 'identity' }))).toEqual({ a: 1 });
    expect(decoder().decode(delivery('{"a":1}', { contentEncoding: '' }))).toEqual({ a: 1 });
  });

  it('refuses an unknown content-type with a DecodeError naming it', () => {
    const error = decodeErrorOf(delivery('<order/>', { contentType: 'application/xml' }));
    expect(error.name).toBe('DecodeError');
    expect(error.message).toContain('application/xml');
  });

  it('uses the default content type only when none is given', () => {
    // text/plain is not JSON even if the body happens to be valid JSON.
    expect(() => decoder().decode(delivery('{"a":1}', { contentType: 'text/plain' }))).toThrow(DecodeError);
  });

  it.each(['gzip', 'deflate', 'GZIP'])('refuses content-encoding %p with a DecodeError', (encoding) => {
    const error = decodeErrorOf(delivery('{"a":1}', { contentEncoding: encoding }));
    expect(error.message).toContain(encoding.toLowerCase());
  });

  it.each(['{"a":', 'not json', '', '{a:1}'])('refuses a body that is not JSON (%p) with a DecodeError', (body) => {
    const error = decodeErrorOf(delivery(body));
    expect(error.message).toContain('application/json');
  });

  it('accepts a body of exactly maxMessageBytes', () => {
    const body = `"${'x'.repeat(MAX_BYTES - 2)}"`;
    expect(Buffer.byteLength(body)).toBe(MAX_BYTES);
    expect(decoder().decode(delivery(body))).toBe('x'.repeat(MAX_BYTES - 2));
  });

  it('refuses a body over maxMessageBytes with MessageTooLargeError, without parsing it', () => {
    const codec = new CountingCodec();
    const body = `"${'x'.repeat(MAX_BYTES - 1)}"`;
    let caught: unknown;
    try {
      decoder(MAX_BYTES, [codec]).decode(delivery(body));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MessageTooLargeError);
    expect(caught).not.toBeInstanceOf(DecodeError);
    expect((caught as MessageTooLargeError).sizeBytes).toBe(MAX_BYTES + 1);
    expect((caught as MessageTooLargeError).maxBytes).toBe(MAX_BYTES);
    expect(codec.calls).toBe(0);
  });

  it('counts bytes, not characters, against the limit', () => {
    // 600 two-byte characters: 600 chars but 1202 bytes with quotes.
    const body = `"${'é'.repeat(600)}"`;
    expect(() => decoder().decode(delivery(body))).toThrow(MessageTooLargeError);
  });

  it('checks the size before the content-type', () => {
    const big = Buffer.alloc(MAX_BYTES + 1, 0x20);
    expect(() => decoder().decode(delivery(big, { contentType: 'application/xml' }))).toThrow(MessageTooLargeError);
  });

  it('uses a registered codec chosen by content-type', () => {
    const text: MessageCodec = {
      contentType: 'text/plain',
      encode: (payload) => Buffer.from(String(payload)),
      decode: (body) => body.toString('utf8').toUpperCase(),
    };
    const both = decoder(MAX_BYTES, [new JsonCodec(), text]);
    expect(both.decode(delivery('hello', { contentType: 'text/plain; charset=utf-8' }))).toBe('HELLO');
    expect(both.decode(delivery('{"a":1}'))).toEqual({ a: 1 });
  });
});
