import type { ConsumeMessage, Options } from 'amqplib';
import { boundHeaders, CARRIED_HEADERS_BUDGET_BYTES } from './bounded-headers.js';
import { carriedProperties } from './carried-properties.js';
import { HEADER_ORIGINAL_ROUTING_KEY } from './message-headers.js';
import { messageIdOf, originalRoutingKey } from './message-identity.js';

/** Written anew on every forward: the original's value (if any) is never carried over it. */
const FORWARD_HEADERS: ReadonlySet<string> = new Set([HEADER_ORIGINAL_ROUTING_KEY]);

/**
 * Properties of the copy the partition router forwards to a partition queue: the message as it
 * was published (body, identity, trace and the producer's headers within the carried budget) plus
 * the routing key it was published with, which the partition's handler matches and reports as
 * the pattern (the copy itself arrives through the default exchange, keyed by the queue's name).
 * `messageId` is stamped (the derived one when the producer set none), so de-duplication sees the
 * same id before and after the forward.
 */
export function partitionCopyProperties(message: ConsumeMessage): Options.Publish {
  const { headers } = boundHeaders(message.properties.headers, CARRIED_HEADERS_BUDGET_BYTES, FORWARD_HEADERS);
  return {
    ...carriedProperties(message.properties),
    messageId: messageIdOf(message),
    headers: { ...headers, [HEADER_ORIGINAL_ROUTING_KEY]: originalRoutingKey(message) },
  };
}
