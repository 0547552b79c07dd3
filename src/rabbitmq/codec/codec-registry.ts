import { JSON_CONTENT_TYPE, MSGPACK_CONTENT_TYPE } from '../rabbitmq.constants.js';
import { JsonCodec, type JsonDecodeLimits } from './json.codec.js';
import type { MessageCodec } from './message-codec.interface.js';
import { MsgpackCodec } from './msgpack.codec.js';
import { UnknownCodecError } from '../errors/unknown-codec.error.js';

/** Built-in codecs, by the short name used in options (`codec: 'msgpack'`). */
export type CodecName = 'json' | 'msgpack';

const NAMED_CONTENT_TYPES: Readonly<Record<CodecName, string>> = {
  json: JSON_CONTENT_TYPE,
  msgpack: MSGPACK_CONTENT_TYPE,
};

/**
 * The codecs a process knows, by content type (and each codec's aliases). Built-ins first, then
 * the module's `encoding.codecs`: a registered codec with a built-in's content type replaces it.
 */
export class CodecRegistry {
  private readonly byType = new Map<string, MessageCodec>();

  constructor(codecs: readonly MessageCodec[]) {
    for (const codec of codecs) {
      // Aliases first, so that one codec's own content type always wins over another's alias.
      for (const alias of codec.aliases ?? []) {
        this.byType.set(mediaType(alias) ?? alias, codec);
      }
    }
    for (const codec of codecs) {
      this.byType.set(mediaType(codec.contentType) ?? codec.contentType, codec);
    }
  }

  /**
   * JSON and MessagePack, plus the given codecs (which replace a built-in of the same type).
   * `json` bounds what the JSON codec accepts on consume (nesting depth).
   */
  static withBuiltins(extra: readonly MessageCodec[] = [], json: JsonDecodeLimits = {}): CodecRegistry {
    return new CodecRegistry([new JsonCodec(json), new MsgpackCodec(), ...extra]);
  }

  /** The codec for a `content-type` header value (parameters and case ignored), if any. */
  find(contentType: string): MessageCodec | undefined {
    const type = mediaType(contentType);
    return type === undefined ? undefined : this.byType.get(type);
  }

  /**
   * The codec to publish with: a built-in name (`json`, `msgpack`) or a registered content type
   * (`application/x-protobuf`). Throws UnknownCodecError for anything else.
   */
  resolve(selector: string): MessageCodec {
    const contentType = Object.hasOwn(NAMED_CONTENT_TYPES, selector) ? NAMED_CONTENT_TYPES[selector as CodecName] : selector;
    const codec = typeof contentType === 'string' ? this.find(contentType) : undefined;
    if (!codec) {
      throw new UnknownCodecError(
        `unknown codec '${String(selector)}': use 'json', 'msgpack' or the content type of a registered codec (${this.contentTypes().join(', ')})`,
      );
    }
    return codec;
  }

  /** Every content type accepted on consume (aliases included). */
  contentTypes(): string[] {
    return [...this.byType.keys()];
  }
}

/** `application/json; charset=utf-8` → `application/json`; undefined for a missing or blank one. */
export function mediaType(contentType: unknown): string | undefined {
  if (typeof contentType !== 'string' || contentType.trim() === '') {
    return undefined;
  }
  let type = MEDIA_TYPES.get(contentType);
  if (type === undefined) {
    type = contentType.split(';')[0].trim().toLowerCase();
    // Every message carries one of a handful of content types: remember them, boundedly.
    if (MEDIA_TYPES.size < 64) {
      MEDIA_TYPES.set(contentType, type);
    }
  }
  return type;
}

const MEDIA_TYPES = new Map<string, string>();
