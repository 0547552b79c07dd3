import type { MessageProperties, Options } from 'amqplib';

/**
 * The properties a copy of a message keeps wherever it goes (retry queue, DLQ, replay): what
 * describes its body and identity. `expiration` and `userId` are dropped on purpose: a copy must
 * not expire in the DLQ, and the broker would reject another user's id.
 */
export function carriedProperties(properties: MessageProperties): Options.Publish {
  return {
    contentType: properties.contentType,
    contentEncoding: properties.contentEncoding,
    correlationId: properties.correlationId,
    messageId: properties.messageId,
    timestamp: properties.timestamp,
    type: properties.type,
    appId: properties.appId,
    priority: properties.priority,
    persistent: true,
  };
}
