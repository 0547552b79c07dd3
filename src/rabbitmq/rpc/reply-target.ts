import { escapeControlCharacters } from '../wire/safe-text.js';
import { DIRECT_REPLY_TO } from './request-message.js';

/**
 * Where a reply may go and the key it may carry, both taken from the request — that is, from
 * whoever published it. RabbitMQ (3.10 measured) closes the whole connection (541
 * INTERNAL_ERROR) that publishes to a direct reply-to address whose pid does not decode, and a
 * `replyTo` naming an ordinary queue would have the service deliver its answers there.
 */

/**
 * The address the broker gives a requester's channel: `amq.rabbitmq.reply-to.<pid>.<key>`, both
 * parts base64, the pid an Erlang term (`term_to_binary`: version byte 131, then a pid tag).
 */
const DIRECT_REPLY_TO_ADDRESS = new RegExp(`^${DIRECT_REPLY_TO.replaceAll('.', '\\.')}\\.([A-Za-z0-9+/]+={0,2})\\.([A-Za-z0-9+/]+={0,2})$`);
const ERLANG_TERM_VERSION = 131;
/** NEW_PID_EXT and PID_EXT: the two ways an Erlang pid is written. */
const ERLANG_PID_TAGS: ReadonlySet<number> = new Set([88, 103]);
/** An AMQP short string (a routing key) holds at most 255 bytes. */
const MAX_SHORT_STRING_BYTES = 255;

/**
 * The longest correlationId a reply echoes, in bytes. Request ids are UUIDs (36) or alike; the
 * cap is below the 255 a short string holds, so escaping a forged one can never make the reply
 * unencodable.
 */
export const MAX_REPLY_CORRELATION_ID_BYTES = 128;

/**
 * True when a reply may be published to `replyTo`: a direct reply-to address of the right form,
 * or a queue the `requests.allowedReplyQueues` option lists. The form check stops the addresses that
 * cannot name a channel before the broker sees them; one that has the form of a pid but names a
 * channel the broker does not know still closes the connection it is published on, which is why
 * replies have a connection of their own (ReplyPublisher).
 */
export function isAllowedReplyTarget(replyTo: string, allowedQueues: ReadonlySet<string>): boolean {
  if (allowedQueues.has(replyTo)) {
    return true;
  }
  if (Buffer.byteLength(replyTo) > MAX_SHORT_STRING_BYTES) {
    return false;
  }
  const match = DIRECT_REPLY_TO_ADDRESS.exec(replyTo);
  if (!match) {
    return false;
  }
  const pid = Buffer.from(match[1], 'base64');
  return pid.length > 2 && pid[0] === ERLANG_TERM_VERSION && ERLANG_PID_TAGS.has(pid[1]);
}

/**
 * The correlationId a reply carries: the request's, with control characters made visible and
 * cut to MAX_REPLY_CORRELATION_ID_BYTES. A plain id (a UUID, base64) is echoed unchanged, so its
 * caller matches the reply; a forged one (CR, LF, escapes) reaches nobody's logs as it was sent.
 */
export function echoedCorrelationId(correlationId: unknown): string | undefined {
  if (typeof correlationId !== 'string') {
    return undefined;
  }
  const printable = escapeControlCharacters(correlationId);
  if (Buffer.byteLength(printable) <= MAX_REPLY_CORRELATION_ID_BYTES) {
    return printable;
  }
  let cut = '';
  let bytes = 0;
  for (const character of printable) {
    bytes += Buffer.byteLength(character);
    if (bytes > MAX_REPLY_CORRELATION_ID_BYTES) {
      break;
    }
    cut += character;
  }
  return cut;
}
