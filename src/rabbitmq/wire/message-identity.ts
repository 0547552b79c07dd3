import { createHash } from 'node:crypto';
import type { ConsumeMessage } from 'amqplib';
import { deliveredProperties } from './carried-properties.js';
import { HEADER_ORIGINAL_ROUTING_KEY } from './message-headers.js';

/** Separates the hashed fields, so that ('ab', 'c') and ('a', 'bc') never hash alike. */
const SEPARATOR = '\u0000';

/**
 * The id handlers de-duplicate on: the producer's `message_id` when it set one. When it did not
 * (plain AMQP producers often do not), an id derived from what every delivery of that published
 * message shares — the routing key it was published with, its `timestamp`, `type`, `app_id` and
 * its body bytes — as a SHA-256 formatted like a UUID (version 8, "custom"). It is the same on a
 * redelivery and on every retry (the copy carries it as `message_id`), so it de-duplicates
 * deliveries of one publish. Two publishes with the same routing key, properties and body (and a
 * timestamp equal to the second, or absent) get the same id: a producer that sends identical
 * events on purpose, and wants both handled, must set `message_id`.
 */
export function messageIdOf(message: ConsumeMessage): string {
  return deliveredProperties(message.properties).messageId ?? derivedMessageId(message);
}

/** The content-derived id described at `messageIdOf`, whatever `message_id` says. */
export function derivedMessageId(message: ConsumeMessage): string {
  const properties = deliveredProperties(message.properties);
  const hex = createHash('sha256')
    .update([originalRoutingKey(message), properties.timestamp ?? '', properties.type ?? '', properties.appId ?? ''].join(SEPARATOR) + SEPARATOR)
    .update(message.content)
    .digest('hex');
  // RFC 9562 layout: version nibble 8, variant bits 10.
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Routing key the event was first published with (retries re-route via the default exchange). */
export function originalRoutingKey(message: ConsumeMessage): string {
  const header: unknown = message.properties.headers?.[HEADER_ORIGINAL_ROUTING_KEY];
  return typeof header === 'string' ? header : message.fields.routingKey;
}
