import { describe, expect, it } from '@jest/globals';
import { JSON_CONTENT_TYPE, MSGPACK_CONTENT_TYPE } from '../rabbitmq.constants.js';
import { CodecRegistry, mediaType } from './codec-registry.js';
import { JsonCodec } from './json.codec.js';
import type { MessageCodec } from './message-codec.interface.js';
import { MsgpackCodec } from './msgpack.codec.js';
import { UnknownCodecError } from '../errors/unknown-codec.error.js';

function codecOf(contentType: string, aliases?: string[]): MessageCodec {
  return { contentType, aliases, encode: () => Buffer.alloc(0), decode: () => contentType };
}

describe('CodecRegistry', () => {
  const registry = CodecRegistry.withBuiltins();

  it('knows JSON and MessagePack (both of its content types) out of the box', () => {
    expect(registry.find('application/json')).toBeInstanceOf(JsonCodec);
    expect(registry.find('application/msgpack')).toBeInstanceOf(MsgpackCodec);
    expect(registry.find('application/x-msgpack')).toBeInstanceOf(MsgpackCodec);
    expect(registry.contentTypes().sort()).toEqual(['application/json', 'application/msgpack', 'application/x-msgpack']);
  });

  it('finds by media type, ignoring parameters, case and spaces', () => {
    expect(registry.find(' Application/JSON ; charset=utf-8')).toBeInstanceOf(JsonCodec);
    expect(registry.find('text/plain')).toBeUndefined();
    expect(registry.find('')).toBeUndefined();
  });

  it('resolves the names json and msgpack, and content types', () => {
    expect(registry.resolve('json').contentType).toBe(JSON_CONTENT_TYPE);
    expect(registry.resolve('msgpack').contentType).toBe(MSGPACK_CONTENT_TYPE);
    expect(registry.resolve('application/x-msgpack').contentType).toBe(MSGPACK_CONTENT_TYPE);
  });

  it.each(['protobuf', 'toString', '__proto__', 'text/plain', ''])('refuses to resolve %p with UnknownCodecError', (selector) => {
    expect(() => registry.resolve(selector)).toThrow(UnknownCodecError);
  });

  it('adds team codecs by content type and aliases', () => {
    const protobuf = codecOf('application/x-protobuf', ['application/protobuf']);
    const withProtobuf = CodecRegistry.withBuiltins([protobuf]);
    expect(withProtobuf.find('application/x-protobuf')).toBe(protobuf);
    expect(withProtobuf.find('application/protobuf')).toBe(protobuf);
    expect(withProtobuf.resolve('application/x-protobuf')).toBe(protobuf);
    expect(withProtobuf.find('application/json')).toBeInstanceOf(JsonCodec);
  });

  it('lets a team codec replace a built-in of the same content type', () => {
    const json = codecOf('Application/JSON');
    expect(CodecRegistry.withBuiltins([json]).resolve('json')).toBe(json);
  });

  it("never lets an alias shadow another codec's own content type", () => {
    const sneaky = codecOf('application/x-sneaky', ['application/json']);
    const registryWithSneaky = CodecRegistry.withBuiltins([sneaky]);
    expect(registryWithSneaky.find('application/json')).toBeInstanceOf(JsonCodec);
  });
});

describe('mediaType', () => {
  it.each([
    ['application/json', 'application/json'],
    [' Application/Json ; charset=UTF-8', 'application/json'],
    ['', undefined],
    ['   ', undefined],
    [undefined, undefined],
    [42, undefined],
  ])('%p → %p', (input, expected) => {
    expect(mediaType(input)).toBe(expected);
  });
});
