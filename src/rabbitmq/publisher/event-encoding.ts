import type { Options } from 'amqplib';
import { CodecRegistry } from '../codec/codec-registry.js';
import { MessageEncoder } from '../codec/message-encoder.js';
import { currentCorrelationId } from '../tracing/correlation-context.js';
import type { ResolvedRabbitMQOptions } from '../options/rabbitmq-options.interface.js';
import { buildMessageProperties, type PublishOptions } from './message-properties.js';

/** An event ready to publish: its body and properties (messageId fixed). */
export interface EncodedEvent {
  content: Buffer;
  properties: Omit<Options.Publish, 'headers'> & { messageId: string; headers: Record<string, unknown> };
}

/**
 * How an event becomes a message: the module's codec (or `options.encoding.codec`), compression above the
 * threshold, and the properties of every event. One place for RabbitClient.publish and the
 * outbox, so an event reads the same whichever way it was sent.
 */
export class EventEncoding {
  private readonly encoder: MessageEncoder;

  constructor(private readonly options: ResolvedRabbitMQOptions) {
    this.encoder = new MessageEncoder(CodecRegistry.withBuiltins(options.encoding.codecs), options.encoding);
  }

  /** Throws MessageTooLargeError for an encoded body over maxMessageBytes. */
  async encode(pattern: string, payload: unknown, options?: PublishOptions): Promise<EncodedEvent> {
    const { content, contentType, contentEncoding } = await this.encoder.encode(payload, {
      codec: options?.codec,
      compression: options?.compression,
    });
    const properties = buildMessageProperties({
      pattern,
      contentType,
      contentEncoding,
      appId: this.options.serviceName,
      correlationId: currentCorrelationId(),
      options,
    });
    return { content, properties: { ...properties, headers: (properties.headers ?? {}) as Record<string, unknown> } };
  }
}
