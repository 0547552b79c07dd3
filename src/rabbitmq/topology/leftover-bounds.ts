import type { ResolvedRabbitMQOptions } from '../options/rabbitmq-options.interface.js';
import type { QueueBound } from './topology.js';

/**
 * Bound of every `<queue>.dlq`. reject-publish, not the default drop-head: a full DLQ must
 * refuse the newest dead letter (which then stays in its handler queue) rather than silently
 * drop the oldest. No TTL, for the same reason.
 */
export function deadLetterBound(options: Pick<ResolvedRabbitMQOptions, 'deadLetterMaxLength'>): QueueBound {
  return options.deadLetterMaxLength > 0 ? { 'x-max-length': options.deadLetterMaxLength, 'x-overflow': 'reject-publish' } : {};
}

/**
 * Bound of `<exchange>.unrouted`: copies of events nobody subscribed to, so the oldest may go
 * (drop-head) and each expires after `unroutedTtlMs`.
 */
export function unroutedBound(options: Pick<ResolvedRabbitMQOptions, 'unroutedMaxLength' | 'unroutedTtlMs'>): QueueBound {
  return { 'x-max-length': Math.max(options.unroutedMaxLength, 1), 'x-overflow': 'drop-head', 'x-message-ttl': options.unroutedTtlMs };
}

/**
 * Bound of a request queue `<exchange>.rpc.<pattern>`: beyond `requestQueueMaxLength` the oldest
 * request goes (drop-head), the one whose caller is closest to giving up (requests expire with
 * their caller's timeout anyway).
 */
export function requestQueueBound(options: Pick<ResolvedRabbitMQOptions, 'requestQueueMaxLength'>): QueueBound {
  return { 'x-max-length': options.requestQueueMaxLength, 'x-overflow': 'drop-head' };
}
