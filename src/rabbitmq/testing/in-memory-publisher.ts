import type { Options } from 'amqplib';
import type { ResolvedRabbitMQOptions } from '../options/rabbitmq-options.interface.js';
import { EventEncoding } from '../publisher/event-encoding.js';
import type { PublishOptions } from '../publisher/message-properties.js';
import type { PublishReceipt } from '../publisher/publish-receipt.js';
import type { PublishedEvent } from './published-event.js';

/**
 * Stands in for RabbitPublisher under the harness: what RabbitClient publishes is encoded with the
 * production encoder (so an event over `encoding.maxMessageBytes` fails as it would) and given the
 * production properties (messageId, the handled message's correlationId), then recorded instead
 * of sent. `failWith` makes the next publishes fail, to test what a handler does when the broker
 * refuses (a PublishError thrown from a handler is retried like any other failure) — replies to
 * requests included, which then never reach their caller.
 */
export class InMemoryPublisher {
  private readonly encoding: EventEncoding;
  private readonly events: PublishedEvent[] = [];
  private failure?: Error;

  constructor(options: ResolvedRabbitMQOptions) {
    this.encoding = new EventEncoding(options);
  }

  /** Same contract as RabbitPublisher.publish: resolves with the receipt once "confirmed". */
  async publish(pattern: string, payload: unknown, options?: PublishOptions): Promise<PublishReceipt> {
    if (this.failure !== undefined) {
      throw this.failure;
    }
    const { content, properties } = await this.encoding.encode(pattern, payload, options);
    this.events.push({ pattern, payload, properties, content });
    return { messageId: properties.messageId, pattern, correlationId: properties.correlationId };
  }

  /**
   * Same contract as RabbitPublisher.publishRaw, which RequestProcessor sends replies with: fails
   * under `failWith`; otherwise the reply is taken by the transport from the call (nothing recorded here).
   */
  publishRaw(_exchange: string, _routingKey: string, _content: Buffer, _properties: Options.Publish): Promise<void> {
    return this.failure === undefined ? Promise.resolve() : Promise.reject(this.failure);
  }

  /** Every event published so far, oldest first. */
  get published(): readonly PublishedEvent[] {
    return this.events;
  }

  /** Events published after the first `from` ones. */
  publishedSince(from: number): PublishedEvent[] {
    return this.events.slice(from);
  }

  /** Forgets the events published so far. */
  clear(): void {
    this.events.length = 0;
  }

  /** Makes every publish throw `error` (e.g. a `PublishRejectedError`) until called with `undefined`. */
  failWith(error: Error | undefined): void {
    this.failure = error;
  }
}
