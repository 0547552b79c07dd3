import { MessageTooLargeError } from '../errors/message-too-large.error.js';
import type { CodecRegistry } from './codec-registry.js';
import { COMPRESSIONS, compress, type Compression } from './compression.js';
import type { MessageCodec } from './message-codec.interface.js';
import { UnknownCodecError } from '../errors/unknown-codec.error.js';

export interface MessageEncoderOptions {
  /** `json`, `msgpack` or a registered content type. */
  codec: string;
  compression: Compression;
  compressThresholdBytes: number;
  maxMessageBytes: number;
}

/** Per-publish choices; absent ones fall back to the module's. */
export interface EncodeOverrides {
  codec?: string;
  compression?: Compression;
}

/** A body ready to publish, with the properties that say how to read it. */
export interface EncodedMessage {
  content: Buffer;
  contentType: string;
  /** Set only when the body is compressed. */
  contentEncoding?: Exclude<Compression, 'none'>;
}

/**
 * Encodes a payload with the chosen codec and compresses it (off the event loop) when it is at
 * least `compressThresholdBytes`. The encoded body must fit `maxMessageBytes` before
 * compression: consumers refuse a body that decompresses past that limit, so publishing one
 * would only park it in a DLQ. A compressed body that is not smaller is sent uncompressed.
 */
export class MessageEncoder {
  private readonly defaultCodec: MessageCodec;

  constructor(
    private readonly codecs: CodecRegistry,
    private readonly options: MessageEncoderOptions,
  ) {
    this.defaultCodec = codecs.resolve(options.codec);
  }

  async encode(payload: unknown, overrides: EncodeOverrides = {}): Promise<EncodedMessage> {
    const codec = overrides.codec === undefined ? this.defaultCodec : this.codecs.resolve(overrides.codec);
    const compression = overrides.compression ?? this.options.compression;
    if (!COMPRESSIONS.includes(compression)) {
      throw new UnknownCodecError(`unknown compression '${String(compression)}': use ${COMPRESSIONS.map((c) => `'${c}'`).join(', ')}`);
    }
    const encoded = asBuffer(codec.encode(payload));
    if (encoded.length > this.options.maxMessageBytes) {
      throw new MessageTooLargeError(encoded.length, this.options.maxMessageBytes);
    }
    if (compression !== 'none' && encoded.length >= this.options.compressThresholdBytes) {
      const compressed = await compress(encoded, compression);
      if (compressed.length < encoded.length) {
        return { content: compressed, contentType: codec.contentType, contentEncoding: compression };
      }
    }
    return { content: encoded, contentType: codec.contentType };
  }
}

/** A team codec may return a Uint8Array (protobufjs does): a view on it, not a copy. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
