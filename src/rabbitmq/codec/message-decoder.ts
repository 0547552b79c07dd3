import type { ConsumeMessage } from 'amqplib';
import { JSON_CONTENT_TYPE } from '../rabbitmq.constants.js';
import { DecodeError } from '../errors/decode.error.js';
import { MessageTooLargeError } from '../errors/message-too-large.error.js';
import { CodecRegistry, mediaType } from './codec-registry.js';
import { decompress, isIdentityEncoding, isSupportedEncoding, normalizeEncoding } from './compression.js';
import type { MessageCodec } from './message-codec.interface.js';

/**
 * Chooses the codec from `content-type` (JSON when absent, as plain AMQP clients often omit it),
 * undoes a gzip/deflate `content-encoding`, and decodes. Unknown types and encodings are decode
 * errors: a message we cannot read must be dead-lettered, never guessed at and never crash the
 * consumer. `maxMessageBytes` bounds both the bytes on the wire and the decompressed body.
 */
/** What a consuming decoder takes from the module's options: the codecs it adds to the built-in ones, and its bounds. */
export interface DecoderOptions {
  codecs: readonly MessageCodec[];
  maxJsonDepth: number;
  maxMessageBytes: number;
}

export class MessageDecoder {
  private readonly codecs: CodecRegistry;

  /**
   * The decoder a transport (RabbitServer, or warren/testing's in-memory one) consumes with: a
   * message without content-type is JSON (plain AMQP clients), whatever codec we publish with.
   */
  static forConsuming(options: DecoderOptions): MessageDecoder {
    return new MessageDecoder(
      CodecRegistry.withBuiltins(options.codecs, { maxDepth: options.maxJsonDepth }),
      JSON_CONTENT_TYPE,
      options.maxMessageBytes,
    );
  }

  constructor(
    codecs: readonly MessageCodec[] | CodecRegistry,
    private readonly defaultContentType: string,
    private readonly maxMessageBytes: number,
  ) {
    this.codecs = codecs instanceof CodecRegistry ? codecs : new CodecRegistry(codecs);
  }

  /** The decoded body; rejects with DecodeError or MessageTooLargeError. */
  decode(message: ConsumeMessage): Promise<unknown> {
    try {
      return Promise.resolve(this.read(message));
    } catch (error) {
      // read() throws DecodeError or MessageTooLargeError; anything else is wrapped the same way.
      return Promise.reject(error instanceof Error ? error : new DecodeError(String(error)));
    }
  }

  /**
   * As decode, for the consume path: synchronous (no promise per message) unless the body must be
   * decompressed; throws (or rejects) with DecodeError or MessageTooLargeError.
   */
  read(message: ConsumeMessage): unknown {
    // Checked before decoding: a huge body must not be parsed into an even larger object graph.
    if (message.content.length > this.maxMessageBytes) {
      throw new MessageTooLargeError(message.content.length, this.maxMessageBytes);
    }
    const encoding = normalizeEncoding(message.properties.contentEncoding);
    if (!isSupportedEncoding(encoding)) {
      throw new DecodeError(`unsupported content-encoding '${encoding}'`);
    }
    const contentType = mediaType(message.properties.contentType) ?? this.defaultContentType;
    const codec = this.codecs.find(contentType);
    if (!codec) {
      throw new DecodeError(`unsupported content-type '${contentType}'`);
    }
    // Only now, for a message we can read: decompression bounded by the same limit.
    // (Identity is checked here, not awaited through decompress: one promise less per message.)
    if (isIdentityEncoding(encoding)) {
      return decodeWith(codec, contentType, message.content);
    }
    return decompress(message.content, encoding, this.maxMessageBytes).then((body) => decodeWith(codec, contentType, body));
  }
}

function decodeWith(codec: MessageCodec, contentType: string, body: Buffer): unknown {
  try {
    return codec.decode(body);
  } catch (error) {
    throw new DecodeError(`body is not valid ${contentType}: ${(error as Error).message}`);
  }
}
