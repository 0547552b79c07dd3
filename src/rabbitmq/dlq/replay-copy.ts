import type { Message, MessagePropertyHeaders, Options } from 'amqplib';
import {
  HEADER_ERROR_MESSAGE,
  HEADER_ERROR_TYPE,
  HEADER_FAILED_AT,
  HEADER_ORIGINAL_ROUTING_KEY,
  HEADER_RETRY_COUNT,
} from '../wire/message-headers.js';
import { HEADER_LAST_ERROR_TYPE, HEADER_REPLAY_RUN, HEADER_REPLAYED_AT } from '../wire/message-headers.js';
import { headerText } from '../wire/header-text.js';
import { readDeaths } from '../wire/x-death.js';
import { boundHeaders, CARRIED_HEADERS_BUDGET_BYTES } from '../wire/bounded-headers.js';
import { carriedProperties, deliveredProperties } from '../wire/carried-properties.js';

/**
 * Headers the broker writes about a message's previous life (dead-lettering, quorum delivery
 * count). A replayed copy is a new message: it must start with a fresh delivery count, and
 * RabbitMQ 3.x would otherwise keep counting on top of the client-copied `x-death` table.
 */
const BROKER_HISTORY_HEADERS = [
  'x-death',
  'x-first-death-reason',
  'x-first-death-queue',
  'x-first-death-exchange',
  'x-last-death-reason',
  'x-last-death-queue',
  'x-last-death-exchange',
  'x-delivery-count',
];

/**
 * Properties of the copy a replay publishes into the originating queue: same body and
 * properties (messageId included, so handlers can de-duplicate), attempt count reset to 0, the
 * parking reason removed (a fresh failure writes its own) but remembered in `x-last-error-type`
 * and `x-replayed-at`, and the id of the run that made it in `x-replay-run` (whatever the parked
 * message carried there is replaced). `x-original-routing-key` is kept or recovered: the copy arrives through
 * the default exchange with the queue name as routing key, and the handler routes by the header.
 *
 * Not copied: `expiration` (an old per-message TTL could expire the copy at once), `userId`
 * (the broker rejects one that is not the publishing user) and the deprecated `clusterId`.
 */
export function replayCopyProperties(message: Message, queue: string, replayedAt: Date, runId: string): Options.Publish {
  const { properties } = message;
  const parked: MessagePropertyHeaders = properties.headers ?? {};
  // Within the budget the consumer keeps too: a message the broker dead-lettered by itself may
  // carry a header table amqplib cannot encode (over 64 KiB), and the replay must not fail on it.
  const headers: MessagePropertyHeaders = boundHeaders(
    parked,
    CARRIED_HEADERS_BUDGET_BYTES,
    new Set([HEADER_ERROR_TYPE, HEADER_ERROR_MESSAGE, HEADER_FAILED_AT, ...BROKER_HISTORY_HEADERS]),
  ).headers;
  headers[HEADER_RETRY_COUNT] = 0;
  headers[HEADER_REPLAYED_AT] = replayedAt.toISOString();
  headers[HEADER_REPLAY_RUN] = runId;
  const lastErrorType =
    headerText(parked[HEADER_ERROR_TYPE]) ?? headerText(parked['x-first-death-reason']) ?? headerText(parked[HEADER_LAST_ERROR_TYPE]);
  if (lastErrorType !== undefined) {
    headers[HEADER_LAST_ERROR_TYPE] = lastErrorType;
  }
  const routingKey = parkedRoutingKey(message, queue);
  if (routingKey !== undefined) {
    headers[HEADER_ORIGINAL_ROUTING_KEY] = routingKey;
  }
  return {
    ...carriedProperties(properties),
    replyTo: deliveredProperties(properties).replyTo,
    // Unroutable (queue deleted meanwhile) must come back as basic.return, not vanish.
    mandatory: true,
    headers,
  };
}

/**
 * The routing key the event was first published with. Our parked copies carry it in a header;
 * a message the broker dead-lettered by itself (quorum delivery-limit backstop) has no header
 * of ours, but its `x-death` entry for the handler queue lists the routing keys it arrived with.
 */
export function parkedRoutingKey(message: Message, queue: string): string | undefined {
  const header = headerText(message.properties.headers?.[HEADER_ORIGINAL_ROUTING_KEY]);
  if (header !== undefined) {
    return header;
  }
  const death = readDeaths(message).find((entry) => entry.queue === queue && entry.routingKeys.length > 0);
  return death?.routingKeys[0];
}
