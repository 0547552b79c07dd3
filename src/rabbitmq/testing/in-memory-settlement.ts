import type { ConsumeMessage, MessageProperties } from 'amqplib';
import type { DeliveryOutcome } from '../failure/delivery-outcome.js';
import type { HandlerDefinition } from '../server/handler-registry.js';
import { failureCopyProperties } from '../wire/failure-copy.js';
import { HEADER_ERROR_MESSAGE, readRetryCount } from '../wire/message-headers.js';
import { originalRoutingKey } from '../wire/message-identity.js';
import { parkingQueueOf } from '../server/partition-plan.js';
import { retryQueueName } from '../topology/topology-names.js';
import { readReply } from '../wire/reply-packet.js';
import type { HandlerResult, RepliedResult } from './handler-result.js';

/** A reply RequestProcessor published (or tried to: `sent` false when the publisher failed). */
export interface InMemoryReply {
  replyTo: string;
  correlationId?: string;
  content: Buffer;
  sent: boolean;
}

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
    // A partition parks in its handler's DLQ, as FailedMessageKeeper does.
    deadLetterQueue: parkingQueueOf(definition),
    errorType: outcome.failure.type,
    errorMessage,
    retryCount,
    retryable: outcome.retryable,
    copy,
  };
}

/**
 * What the transport did with a request: RequestProcessor acked it and published the reply it
 * built (the handler's value or its failure) to the caller's `replyTo`; read back here as the
 * caller reads it. A request delivered without `replyTo` gets no reply (`sent` false).
 */
export function repliedInMemory(message: ConsumeMessage, definition: HandlerDefinition, reply: InMemoryReply | undefined): RepliedResult {
  // RequestProcessor's own encodeReply output: always JSON.
  const read = reply ? readReply(JSON.parse(reply.content.toString('utf8'))) : undefined;
  return {
    queue: definition.queue,
    handler: definition.handlerName,
    kind: 'replied',
    reply: read === undefined ? undefined : 'err' in read ? { error: read.err } : { value: read.response },
    replyTo: reply?.replyTo ?? '',
    correlationId: (message.properties.correlationId as string | undefined) ?? undefined,
    sent: reply?.sent ?? false,
    content: reply?.content ?? Buffer.alloc(0),
  };
}
