import { C1, type Options, Packr, Unpackr } from 'msgpackr';
import { MSGPACK_CONTENT_TYPE, MSGPACK_LEGACY_CONTENT_TYPE } from '../rabbitmq.constants.js';
import type { MessageCodec } from './message-codec.interface.js';

// skipValues and int64AsType 'auto' are implemented and documented by msgpackr 2.1, not yet in its typings.
const PACK_OPTIONS: Options & { skipValues: unknown[] } = { useRecords: false, encodeUndefinedAsNil: true, skipValues: [undefined] };
const UNPACK_OPTIONS = { useRecords: false, mapsAsObjects: true, int64AsType: 'auto' } as Omit<Options, 'int64AsType'> as Options;

/**
 * MessagePack with msgpackr, in its standard (interoperable) mode: objects are plain maps, not
 * msgpackr's record extension, so Go (vmihailenco/msgpack), Python (msgpack) and other clients
 * read and write the same bytes. Like JSON, `undefined` object fields are left out and
 * `undefined` elsewhere becomes nil; unlike JSON, a `Date` travels as a MessagePack timestamp
 * and arrives as a `Date`, and integers beyond 2^53 arrive as `bigint` instead of losing
 * precision.
 */
export class MsgpackCodec implements MessageCodec {
  readonly contentType = MSGPACK_CONTENT_TYPE;
  readonly aliases = [MSGPACK_LEGACY_CONTENT_TYPE];
  private readonly packr = new Packr(PACK_OPTIONS);
  private readonly unpackr = new Unpackr(UNPACK_OPTIONS);

  encode(payload: unknown): Buffer {
    return this.packr.pack(payload);
  }

  decode(body: Buffer): unknown {
    // unpack() throws on a truncated body and on bytes left after the first value.
    const value: unknown = this.unpackr.unpack(body);
    if (value === C1) {
      // 0xc1 is the one byte MessagePack never uses; msgpackr returns a marker instead of failing.
      throw new Error('0xc1 is not a MessagePack value');
    }
    return value;
  }
}
