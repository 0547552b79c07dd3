import type { MessageProperties, Options } from 'amqplib';

/** The standard AMQP properties as the broker delivers them (amqplib types them `any`). */
export interface DeliveredProperties {
  contentType?: string;
  contentEncoding?: string;
  correlationId?: string;
  messageId?: string;
  timestamp?: number;
  type?: string;
  appId?: string;
  priority?: number;
  replyTo?: string;
  expiration?: string;
}

/** `properties` with the standard fields typed. */
export function deliveredProperties(properties: MessageProperties): DeliveredProperties {
  return properties;
}

/**
 * The properties a copy of a message keeps wherever it goes (retry queue, DLQ, replay): what
 * describes its body and identity. `expiration` and `userId` are dropped on purpose: a copy must
 * not expire in the DLQ, and the broker would reject another user's id.
 */
export function carriedProperties(delivered: MessageProperties): Options.Publish {
  const properties = deliveredProperties(delivered);
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
