import type { ConsumeMessage } from 'amqplib';
import { DecodeError } from '../errors/decode.error.js';
import { MessageTooLargeError } from '../errors/message-too-large.error.js';
import type { MessageCodec } from './message-codec.interface.js';

const IDENTITY_ENCODINGS = new Set(['', 'identity']);

/**
 * Chooses the codec from `content-type` (JSON when absent, as plain AMQP clients often omit it)
 * and decodes. Unknown types and encodings are decode errors: a message we cannot read must be
 * dead-lettered, never guessed at and never crash the consumer.
 */
export class MessageDecoder {
  private readonly codecs: Map<string, MessageCodec>;

  constructor(
    codecs: MessageCodec[],
    private readonly defaultContentType: string,
    private readonly maxMessageBytes: number,
  ) {
    this.codecs = new Map(codecs.map((codec) => [codec.contentType, codec]));
  }

  decode(message: ConsumeMessage): unknown {
    // Checked before decoding: a huge body must not be parsed into an even larger object graph.
    if (message.content.length > this.maxMessageBytes) {
      throw new MessageTooLargeError(message.content.length, this.maxMessageBytes);
    }
    const encoding = String(message.properties.contentEncoding ?? '').toLowerCase();
    if (!IDENTITY_ENCODINGS.has(encoding)) {
      throw new DecodeError(`unsupported content-encoding '${encoding}'`);
    }
    const contentType = mediaType(message.properties.contentType) ?? this.defaultContentType;
    const codec = this.codecs.get(contentType);
    if (!codec) {
      throw new DecodeError(`unsupported content-type '${contentType}'`);
    }
    try {
      return codec.decode(message.content);
    } catch (error) {
      throw new DecodeError(`body is not valid ${contentType}: ${(error as Error).message}`);
    }
  }
}

/** `application/json; charset=utf-8` → `application/json`. */
function mediaType(contentType: unknown): string | undefined {
  if (typeof contentType !== 'string' || contentType.trim() === '') {
    return undefined;
  }
  return contentType.split(';')[0].trim().toLowerCase();
}
