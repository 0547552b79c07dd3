import { describe, expect, it } from '@jest/globals';
import { gunzipSync, inflateSync } from 'node:zlib';
import { MessageTooLargeError } from '../errors/message-too-large.error.js';
import { CodecRegistry } from './codec-registry.js';
import { type MessageEncoderOptions, MessageEncoder } from './message-encoder.js';
import type { MessageCodec } from './message-codec.interface.js';
import { MsgpackCodec } from './msgpack.codec.js';
import { UnknownCodecError } from '../errors/unknown-codec.error.js';

const THRESHOLD = 1024;
const DEFAULTS: MessageEncoderOptions = { codec: 'json', compression: 'gzip', compressThresholdBytes: THRESHOLD, maxMessageBytes: 64 * 1024 };

function encoder(options: Partial<MessageEncoderOptions> = {}, extra: MessageCodec[] = []): MessageEncoder {
  return new MessageEncoder(CodecRegistry.withBuiltins(extra), { ...DEFAULTS, ...options });
}

/** A payload whose JSON is `bytes` long and compresses well. */
function ofJsonSize(bytes: number): { text: string } {
  return { text: 'a'.repeat(bytes - '{"text":""}'.length) };
}

describe('MessageEncoder', () => {
  it('encodes JSON by default, uncompressed below the threshold', async () => {
    const encoded = await encoder().encode({ a: 1 });
    expect(encoded).toEqual({ content: Buffer.from('{"a":1}'), contentType: 'application/json' });
  });

  it('uses the module codec, and a per-publish codec over it', async () => {
    const msgpack = await encoder({ codec: 'msgpack' }).encode({ a: 1 });
    expect(msgpack.contentType).toBe('application/msgpack');
    expect(new MsgpackCodec().decode(msgpack.content)).toEqual({ a: 1 });
    expect((await encoder({ codec: 'msgpack' }).encode({ a: 1 }, { codec: 'json' })).contentType).toBe('application/json');
    expect((await encoder().encode({ a: 1 }, { codec: 'msgpack' })).contentType).toBe('application/msgpack');
  });

  it('publishes with a team codec chosen by content type, accepting a Uint8Array from it', async () => {
    const protobuf: MessageCodec = {
      contentType: 'application/x-protobuf',
      encode: (value) => new Uint8Array(Buffer.from(`pb:${String(value)}`)) as Buffer,
      decode: (body) => body.toString(),
    };
    const encoded = await encoder({}, [protobuf]).encode('x', { codec: 'application/x-protobuf' });
    expect(Buffer.isBuffer(encoded.content)).toBe(true);
    expect(encoded.content.toString()).toBe('pb:x');
    expect(encoded.contentType).toBe('application/x-protobuf');
  });

  it('compresses with gzip from the threshold on, and marks content-encoding', async () => {
    const below = await encoder().encode(ofJsonSize(THRESHOLD - 1));
    expect(below.contentEncoding).toBeUndefined();
    const at = await encoder().encode(ofJsonSize(THRESHOLD));
    expect(at.contentEncoding).toBe('gzip');
    expect(JSON.parse(gunzipSync(at.content).toString())).toEqual(ofJsonSize(THRESHOLD));
    expect(at.content.length).toBeLessThan(THRESHOLD / 4);
  });

  it('compresses with deflate when configured or asked per publish', async () => {
    const deflated = await encoder({ compression: 'deflate' }).encode(ofJsonSize(4096));
    expect(deflated.contentEncoding).toBe('deflate');
    expect(JSON.parse(inflateSync(deflated.content).toString())).toEqual(ofJsonSize(4096));
    expect((await encoder().encode(ofJsonSize(4096), { compression: 'deflate' })).contentEncoding).toBe('deflate');
  });

  it("never compresses with compression 'none', module-wide or per publish", async () => {
    expect((await encoder({ compression: 'none' }).encode(ofJsonSize(4096))).contentEncoding).toBeUndefined();
    expect((await encoder().encode(ofJsonSize(4096), { compression: 'none' })).contentEncoding).toBeUndefined();
  });

  it('compresses MessagePack too', async () => {
    const encoded = await encoder({ codec: 'msgpack' }).encode(ofJsonSize(4096));
    expect(encoded).toMatchObject({ contentType: 'application/msgpack', contentEncoding: 'gzip' });
    expect(new MsgpackCodec().decode(gunzipSync(encoded.content))).toEqual(ofJsonSize(4096));
  });

  it('sends a body that does not shrink uncompressed', async () => {
    const random = Buffer.from(Array.from({ length: 4096 }, () => Math.floor(Math.random() * 256)));
    const encoded = await encoder({ codec: 'msgpack' }).encode(random);
    expect(encoded.contentEncoding).toBeUndefined();
    expect(encoded.content.length).toBeLessThanOrEqual(4096 + 5);
  });

  it('refuses an encoded body over maxMessageBytes even if it would compress below it', async () => {
    const error = await encoder({ maxMessageBytes: 8192 })
      .encode(ofJsonSize(8193))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MessageTooLargeError);
    expect((error as MessageTooLargeError).sizeBytes).toBe(8193);
    expect((await encoder({ maxMessageBytes: 8192 }).encode(ofJsonSize(8192))).contentEncoding).toBe('gzip');
  });

  it('refuses an unknown codec or compression with UnknownCodecError', async () => {
    await expect(encoder().encode({}, { codec: 'protobuf' })).rejects.toThrow(UnknownCodecError);
    await expect(encoder().encode({}, { compression: 'br' as never })).rejects.toThrow(UnknownCodecError);
    expect(() => encoder({ codec: 'yaml' })).toThrow(UnknownCodecError);
  });
});
