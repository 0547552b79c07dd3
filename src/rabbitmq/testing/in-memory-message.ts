import type { ConsumeMessage, MessageProperties, Options } from 'amqplib';

let deliveryTags = 0;

/**
 * A delivery as amqplib hands it to the consumer: the properties a publisher set (unset ones
 * undefined, headers always an object, as amqplib decodes them) and the routing fields.
 */
export function inMemoryDelivery(exchange: string, routingKey: string, content: Buffer, properties: Options.Publish): ConsumeMessage {
  deliveryTags += 1;
  // `mandatory` is an instruction to the broker, not a property the consumer sees.
  const { persistent, deliveryMode, mandatory: _mandatory, ...rest } = properties;
  const headers = properties.headers as Record<string, unknown> | undefined;
  return {
    content,
    fields: { deliveryTag: deliveryTags, redelivered: false, exchange, routingKey, consumerTag: 'in-memory' },
    properties: {
      contentType: undefined,
      contentEncoding: undefined,
      deliveryMode: deliveryMode ?? (persistent ? 2 : undefined),
      priority: undefined,
      correlationId: undefined,
      replyTo: undefined,
      expiration: undefined,
      messageId: undefined,
      timestamp: undefined,
      type: undefined,
      userId: undefined,
      appId: undefined,
      clusterId: undefined,
      ...(rest as Partial<MessageProperties>),
      headers: { ...(headers ?? {}) },
    },
  };
}
