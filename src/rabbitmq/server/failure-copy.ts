import type { ConsumeMessage, Options } from 'amqplib';
import {
  HEADER_ERROR_MESSAGE,
  HEADER_ERROR_TYPE,
  HEADER_FAILED_AT,
  HEADER_HANDLER,
  HEADER_ORIGINAL_ROUTING_KEY,
  HEADER_RETRY_COUNT,
} from '../rabbitmq.constants.js';
import { carriedProperties } from './carried-properties.js';
import type { FailureDescription } from './failure-description.js';

/**
 * Properties of the copy of a failed message that goes to a retry queue or the dead-letter
 * queue: the same properties (messageId included, so handlers can de-duplicate) plus the
 * reason headers and the retry count.
 */
export function failureCopyProperties(
  message: ConsumeMessage,
  failure: FailureDescription,
  context: { handler: string; originalRoutingKey: string; retryCount: number },
): Options.Publish {
  const { properties } = message;
  return {
    ...carriedProperties(properties),
    headers: {
      ...(properties.headers ?? {}),
      [HEADER_ERROR_TYPE]: failure.type,
      [HEADER_ERROR_MESSAGE]: failure.message,
      [HEADER_FAILED_AT]: new Date().toISOString(),
      [HEADER_RETRY_COUNT]: context.retryCount,
      [HEADER_ORIGINAL_ROUTING_KEY]: context.originalRoutingKey,
      [HEADER_HANDLER]: context.handler,
    },
  };
}
