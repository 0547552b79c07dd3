import { deadLetterQueueName } from '../topology/topology-names.js';

const DLQ_SUFFIX = deadLetterQueueName('');

/** A handler queue and its dead-letter queue. */
export interface DeadLetterTarget {
  /** The handler queue the parked messages came from, and where a replay sends them. */
  queue: string;
  /** `<queue>.dlq`. */
  dlq: string;
}

/**
 * Operators type either name (`orders.audit` or `orders.audit.dlq`); both mean the same pair.
 * A name ending in `.dlq` is taken as the dead-letter queue itself.
 */
export function resolveDeadLetterTarget(name: string): DeadLetterTarget {
  const trimmed = name.trim();
  if (trimmed.endsWith(DLQ_SUFFIX) && trimmed.length > DLQ_SUFFIX.length) {
    return { queue: trimmed.slice(0, -DLQ_SUFFIX.length), dlq: trimmed };
  }
  return { queue: trimmed, dlq: deadLetterQueueName(trimmed) };
}
