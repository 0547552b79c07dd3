import type { Options } from 'amqplib';

/** An event a handler published through RabbitClient while the harness ran it. */
export interface PublishedEvent<T = unknown> {
  /** The routing key: the event's pattern. */
  pattern: string;
  /** The payload as the handler passed it (not re-decoded). */
  payload: T;
  /** The properties production would have sent: messageId, correlationId (the handled message's), type, headers… */
  properties: Options.Publish & { messageId: string };
  /** The encoded body, as it would have gone to the broker. */
  content: Buffer;
}
