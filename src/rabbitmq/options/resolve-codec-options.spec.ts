import { describe, expect, it } from '@jest/globals';
import type { MessageCodec } from '../codec/message-codec.interface.js';
import { InvalidRabbitMQOptionsError } from '../errors/invalid-options.error.js';
import { RABBITMQ_DEFAULTS } from './rabbitmq-defaults.js';
import type { RabbitMQModuleOptions } from './rabbitmq-options.interface.js';
import { resolveRabbitMQOptions } from './resolve-options.js';

const REQUIRED: RabbitMQModuleOptions = { urls: ['amqp://guest:guest@127.0.0.1:5672'], serviceName: 'orders' };

/** A stand-in for a team's protobuf codec: bytes are the UTF-8 of the string form. */
class TextCodec implements MessageCodec {
  constructor(readonly contentType = 'application/x-protobuf') {}
  encode(payload: unknown): Buffer {
    return Buffer.from(String(payload));
  }
  decode(body: Buffer): unknown {
    return body.toString();
  }
}

function messageOf(overrides: Partial<RabbitMQModuleOptions>): string {
  try {
    resolveRabbitMQOptions({ ...REQUIRED, ...overrides });
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRabbitMQOptionsError);
    return (error as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(overrides)} to be rejected`);
}

describe('resolveRabbitMQOptions: codecs and compression', () => {
  it('defaults to JSON, no extra codecs, gzip above 64 KiB', () => {
    const resolved = resolveRabbitMQOptions(REQUIRED);
    expect(resolved.encoding.codec).toBe('json');
    expect(resolved.encoding.codecs).toEqual([]);
    expect(resolved.encoding.compression).toBe('gzip');
    expect(resolved.encoding.compressThresholdBytes).toBe(RABBITMQ_DEFAULTS.encoding.compressThresholdBytes);
    expect(RABBITMQ_DEFAULTS.encoding.compressThresholdBytes).toBe(65_536);
  });

  it('keeps the given codec, compression and threshold', () => {
    const resolved = resolveRabbitMQOptions({ ...REQUIRED, encoding: { codec: 'msgpack', compression: 'deflate', compressThresholdBytes: 1 } });
    expect(resolved.encoding).toMatchObject({ codec: 'msgpack', compression: 'deflate', compressThresholdBytes: 1 });
    expect(resolveRabbitMQOptions({ ...REQUIRED, encoding: { compression: 'none' } }).encoding.compression).toBe('none');
  });

  it('accepts a registered codec, by its content type, as the publishing codec', () => {
    const protobuf = new TextCodec();
    const resolved = resolveRabbitMQOptions({ ...REQUIRED, encoding: { codecs: [protobuf], codec: 'application/x-protobuf' } });
    expect(resolved.encoding.codecs).toEqual([protobuf]);
    expect(resolved.encoding.codec).toBe('application/x-protobuf');
  });

  it('accepts built-in content types as the codec too', () => {
    expect(resolveRabbitMQOptions({ ...REQUIRED, encoding: { codec: 'application/msgpack' } }).encoding.codec).toBe('application/msgpack');
  });

  it.each([
    ['an unknown codec name', 'encoding\\.codec', { encoding: { codec: 'protobuf' } }],
    ['a content type no codec has', 'encoding\\.codec', { encoding: { codec: 'application/x-protobuf' } }],
    ['a codec that is not a string', 'encoding\\.codec', { encoding: { codec: 42 } }],
    ["compression 'br'", 'encoding\\.compression', { encoding: { compression: 'br' } }],
    ['compressThresholdBytes 0', 'encoding\\.compressThresholdBytes', { encoding: { compressThresholdBytes: 0 } }],
    ['compressThresholdBytes 1.5', 'encoding\\.compressThresholdBytes', { encoding: { compressThresholdBytes: 1.5 } }],
    ['maxJsonDepth 0', 'encoding\\.maxJsonDepth', { encoding: { maxJsonDepth: 0 } }],
    ['maxJsonDepth 10001', 'encoding\\.maxJsonDepth', { encoding: { maxJsonDepth: 10_001 } }],
    ['codecs that is not an array', 'encoding\\.codecs', { encoding: { codecs: new TextCodec() } }],
    [
      'a codec without decode',
      'encoding\\.codecs\\[0\\]',
      { encoding: { codecs: [{ contentType: 'application/x-a', encode: () => Buffer.alloc(0) }] } },
    ],
    ['a codec with a malformed content type', 'encoding\\.codecs\\[0\\]', { encoding: { codecs: [new TextCodec('protobuf')] } }],
    ['a null codec', 'encoding\\.codecs\\[1\\]', { encoding: { codecs: [new TextCodec(), null] } }],
    [
      'two codecs of one content type',
      'encoding\\.codecs\\[1\\]',
      { encoding: { codecs: [new TextCodec(), new TextCodec('Application/X-Protobuf')] } },
    ],
  ])('rejects %s with an error naming %s', (_case, option, overrides) => {
    expect(messageOf(overrides as Partial<RabbitMQModuleOptions>)).toMatch(new RegExp(`^${option}(?![A-Za-z])`));
  });

  it('lists the accepted codecs when rejecting one', () => {
    const message = messageOf({ encoding: { codec: 'protobuf' } });
    expect(message).toContain("'json'");
    expect(message).toContain("'msgpack'");
    expect(message).toContain("'protobuf'");
  });
});
