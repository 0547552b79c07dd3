import { HandlerRegistrationError } from '../errors/handler-registration.error.js';
import type { QueueType } from '../options/rabbitmq-options.interface.js';

/** What the broker does when a handler queue with a length bound is full. */
export type QueueOverflow = 'drop-head' | 'reject-publish' | 'reject-publish-dlx';

/**
 * Queue arguments a handler may set (`@HandleEvent(pattern, { queueArguments })`). Only arguments
 * that cannot break warren's own guarantees are offered; dead-lettering, queue type and the
 * delivery limit stay warren's. Changing one on an existing queue is a topology conflict (the
 * broker never changes a queue's arguments): delete the queue or give the handler a new `queue`.
 */
export interface HandlerQueueArguments {
  /** `x-max-length`: most messages ready in the queue. What happens beyond it is `overflow`. */
  maxLength?: number;
  /** `x-max-length-bytes`: most bytes of message bodies ready in the queue. */
  maxLengthBytes?: number;
  /**
   * `x-overflow`, with `maxLength` / `maxLengthBytes` only. `reject-publish` (the quorum default):
   * the broker nacks new publishes, so `publish()` fails (HTTP 503) and nothing is dropped.
   * `drop-head`: the oldest message goes to `<queue>.dlq` (quorum queues then dead-letter
   * at-most-once). `reject-publish-dlx`: classic queues only.
   */
  overflow?: QueueOverflow;
  /** `x-message-ttl` in ms: a message waiting longer goes to `<queue>.dlq` (broker-side, reason in `x-death`). */
  messageTtlMs?: number;
  /** `x-max-priority` (1–255, keep it ≤ 10): publishes' `priority` orders delivery. Classic queues only (quorum queues in RabbitMQ 3.x have no priorities). */
  maxPriority?: number;
}

/** RabbitMQ's largest TTL and lengths are unsigned 32-bit. */
const MAX_UINT32 = 4_294_967_295;
const MAX_PRIORITY = 255;
const OVERFLOWS: Record<QueueType, readonly QueueOverflow[]> = {
  classic: ['drop-head', 'reject-publish', 'reject-publish-dlx'],
  quorum: ['drop-head', 'reject-publish'],
};

/**
 * Validates a handler's queue arguments and turns them into AMQP `x-` arguments, named errors
 * at start-up instead of a broker 406 later. `ordered` adds `x-single-active-consumer`.
 */
export function handlerQueueArguments(
  handlerName: string,
  queueType: QueueType,
  { ordered, queueArguments = {} }: { ordered: boolean; queueArguments?: HandlerQueueArguments },
): Record<string, unknown> {
  const fail = (message: string): never => {
    throw new HandlerRegistrationError(`queueArguments of handler '${handlerName}': ${message}`);
  };
  const { maxLength, maxLengthBytes, overflow, messageTtlMs, maxPriority } = queueArguments;
  const integer = (name: string, value: number | undefined, min: number, max: number): void => {
    if (value !== undefined && (!Number.isInteger(value) || value < min || value > max)) {
      fail(`${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
    }
  };
  integer('maxLength', maxLength, 1, MAX_UINT32);
  integer('maxLengthBytes', maxLengthBytes, 1, Number.MAX_SAFE_INTEGER);
  integer('messageTtlMs', messageTtlMs, 0, MAX_UINT32);
  integer('maxPriority', maxPriority, 1, MAX_PRIORITY);
  if (overflow !== undefined) {
    if (!OVERFLOWS[queueType].includes(overflow)) {
      fail(`overflow '${String(overflow)}' is not one of ${OVERFLOWS[queueType].join(', ')} (for ${queueType} queues)`);
    }
    if (maxLength === undefined && maxLengthBytes === undefined) {
      fail('overflow only acts with maxLength or maxLengthBytes: set one, or remove overflow');
    }
  }
  if (maxPriority !== undefined && queueType !== 'classic') {
    fail(`maxPriority needs a classic queue (quorum queues have no priorities): add queueType: 'classic' to this handler`);
  }
  return {
    ...(maxLength !== undefined ? { 'x-max-length': maxLength } : {}),
    ...(maxLengthBytes !== undefined ? { 'x-max-length-bytes': maxLengthBytes } : {}),
    ...(overflow !== undefined ? { 'x-overflow': overflow } : {}),
    ...(messageTtlMs !== undefined ? { 'x-message-ttl': messageTtlMs } : {}),
    ...(maxPriority !== undefined ? { 'x-max-priority': maxPriority } : {}),
    ...(ordered ? { 'x-single-active-consumer': true } : {}),
  };
}
