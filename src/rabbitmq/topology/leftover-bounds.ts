import type { ResolvedRabbitMQOptions } from '../options/rabbitmq-options.interface.js';
import type { QueueBound } from './topology.js';

/**
 * Bound of every `<queue>.dlq`. reject-publish, not the default drop-head: a full DLQ must
 * refuse the newest dead letter (which then stays in its handler queue) rather than silently
 * drop the oldest. No TTL, for the same reason.
 */
export function deadLetterBound(options: Pick<ResolvedRabbitMQOptions, 'consume'>): QueueBound {
  return options.consume.deadLetterMaxLength > 0 ? { 'x-max-length': options.consume.deadLetterMaxLength, 'x-overflow': 'reject-publish' } : {};
}

/**
 * Bound of `<exchange>.unrouted`: copies of events nobody subscribed to, so the oldest may go
 * (drop-head) and each expires after `unrouted.ttlMs`.
 */
export function unroutedBound(options: Pick<ResolvedRabbitMQOptions, 'unrouted'>): QueueBound {
  return { 'x-max-length': Math.max(options.unrouted.maxLength, 1), 'x-overflow': 'drop-head', 'x-message-ttl': options.unrouted.ttlMs };
}

/**
 * Bound of a request queue `<exchange>.rpc.<pattern>`: beyond `requests.queueMaxLength` the oldest
 * request goes (drop-head), the one whose caller is closest to giving up (requests expire with
 * their caller's timeout anyway).
 */
export function requestQueueBound(options: Pick<ResolvedRabbitMQOptions, 'requests'>): QueueBound {
  return { 'x-max-length': options.requests.queueMaxLength, 'x-overflow': 'drop-head' };
}
