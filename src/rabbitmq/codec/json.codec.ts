import { isUtf8 } from 'node:buffer';
import { JSON_CONTENT_TYPE } from '../rabbitmq.constants.js';
import { jsonStructureViolation, type JsonStructureLimits } from './json-structure-guard.js';
import type { MessageCodec } from './message-codec.interface.js';

/**
 * Deepest nesting of arrays and objects a decoded JSON body may have (the top-level value is
 * depth 1), unless the module's `encoding.maxJsonDepth` says otherwise. Checked by one iterative scan
 * before JSON.parse: class-transformer, class-validator and most handler code walk payloads
 * recursively, and a 256 KiB body can nest 131,000 levels, which overflows their stack. Real
 * events nest a handful of levels.
 */
export const JSON_MAX_DEPTH = 64;

/** Bounds a consumed JSON body must keep before it is parsed. */
export interface JsonDecodeLimits {
  /** Deepest nesting of arrays and objects (the top-level value is depth 1). @default 64 */
  maxDepth?: number;
}

/**
 * The default codec: what any AMQP client (Go, Python, the CLI) can produce and read. Decoding is
 * strict where a lenient reader would corrupt or crash: invalid UTF-8 is refused (not replaced by
 * U+FFFD, which would silently change an `orderId`), and so is nesting beyond `maxDepth`, found by
 * one iterative pass before `JSON.parse` or any recursive code sees the payload.
 */
export class JsonCodec implements MessageCodec {
  readonly contentType = JSON_CONTENT_TYPE;
  private readonly limits: JsonStructureLimits;

  constructor(limits: JsonDecodeLimits = {}) {
    // Members are not bounded here: maxMessageBytes already bounds them, and nothing after the
    // parse walks a wide array recursively.
    this.limits = { maxDepth: limits.maxDepth ?? JSON_MAX_DEPTH, maxMembers: Number.POSITIVE_INFINITY };
  }

  encode(payload: unknown): Buffer {
    return Buffer.from(JSON.stringify(payload) ?? 'null', 'utf8');
  }

  /** Throws on invalid UTF-8, on nesting deeper than `maxDepth`, and on text that is not JSON. */
  decode(body: Buffer): unknown {
    // isUtf8 + toString is the same strict check as a fatal TextDecoder, at a fraction of its cost.
    if (!isUtf8(body)) {
      throw new Error('invalid UTF-8');
    }
    const text = body.toString('utf8');
    // A body with no more `{` and `[` bytes than the limit cannot nest deeper than it: the scan
    // is skipped for it (counted with native indexOf, typical events have a handful).
    if (moreOpenersThan(body, this.limits.maxDepth)) {
      const violation = jsonStructureViolation(text, this.limits);
      if (violation !== undefined) {
        throw new Error(violation);
      }
    }
    return JSON.parse(text);
  }
}

const OPEN_BRACE = 0x7b; // {
const OPEN_BRACKET = 0x5b; // [

/** True when `body` holds more than `limit` `{` and `[` bytes (inside strings too: an over-count only costs a scan). */
function moreOpenersThan(body: Buffer, limit: number): boolean {
  let count = 0;
  for (const opener of [OPEN_BRACE, OPEN_BRACKET]) {
    for (let at = body.indexOf(opener); at !== -1; at = body.indexOf(opener, at + 1)) {
      if (++count > limit) {
        return true;
      }
    }
  }
  return false;
}
