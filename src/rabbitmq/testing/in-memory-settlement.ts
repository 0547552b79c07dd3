import type { ConsumeMessage, MessageProperties } from 'amqplib';
import type { DeliveryOutcome } from '../failure/delivery-outcome.js';
import type { HandlerDefinition } from '../server/handler-registry.js';
import { failureCopyProperties } from '../wire/failure-copy.js';
import { HEADER_ERROR_MESSAGE, readRetryCount } from '../wire/message-headers.js';
import { originalRoutingKey } from '../wire/message-identity.js';
import { deadLetterQueueName, retryQueueName } from '../topology/topology-names.js';
import type { HandlerResult } from './handler-result.js';

/**
 * What QueueConsumer and FailedMessageKeeper do with an outcome, without a broker: the retry or
 * dead-letter copy is built by the production `failureCopyProperties` (same headers, same
 * retry count) and recorded instead of published.
 */
export function settleInMemory(message: ConsumeMessage, outcome: DeliveryOutcome, definition: HandlerDefinition): HandlerResult {
  const base = { queue: definition.queue, handler: definition.handlerName };
  if (outcome.kind === 'ack') {
    return { ...base, kind: 'ack' };
  }
  const retryCount = outcome.kind === 'retry' ? outcome.retry : readRetryCount(message);
  const properties = failureCopyProperties(message, outcome.failure, {
    handler: definition.handlerName,
    originalRoutingKey: originalRoutingKey(message),
    retryCount,
  });
  const copy = { ...(properties as Partial<MessageProperties>), headers: (properties.headers ?? {}) as Record<string, unknown> };
  const errorMessage = String(copy.headers[HEADER_ERROR_MESSAGE]);
  if (outcome.kind === 'retry') {
    return {
      ...base,
      kind: 'retry',
      attempt: outcome.retry,
      delayMs: outcome.delayMs,
      retryQueue: retryQueueName(definition.queue, outcome.delayMs),
      errorType: outcome.failure.type,
      errorMessage,
      copy,
      content: message.content,
    };
  }
  return {
    ...base,
    kind: 'dead-letter',
    deadLetterQueue: deadLetterQueueName(definition.queue),
    errorType: outcome.failure.type,
    errorMessage,
    retryCount,
    retryable: outcome.retryable,
    copy,
  };
}
