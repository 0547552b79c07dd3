import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, Options } from 'amqplib';
import { JsonCodec } from '../codec/json.codec.js';
import type { MessageCodec } from '../codec/message-codec.interface.js';
import { RabbitConnections } from '../connection/rabbit-connections.js';
import { redactText } from '../connection/redact-url.js';
import { currentCorrelationId } from '../correlation/correlation-context.js';
import { MessageTooLargeError } from '../errors/message-too-large.error.js';
import {
  PublishError,
  PublishRejectedError,
  PublishTimeoutError,
  PublisherClosedError,
} from '../errors/publish.errors.js';
import type { ResolvedRabbitMQOptions } from '../options/rabbitmq-options.interface.js';
import { RABBITMQ_RESOLVED_OPTIONS } from '../rabbitmq.constants.js';
import { declareEventsExchange } from '../topology/topology.js';
import { buildMessageProperties, type PublishOptions } from './message-properties.js';
import type { PublishReceipt } from './publish-receipt.js';

/**
 * Publishes on one confirm channel of the publisher connection. Every publish resolves only
 * once the broker has confirmed it (so "202 Accepted" means stored), and rejects with a named
 * PublishError within `publishTimeoutMs` when the broker is down, blocked or refuses it.
 * While disconnected, amqp-connection-manager holds messages and re-sends unconfirmed ones
 * after a reconnect; the timeout bounds how long any of them can wait.
 */
@Injectable()
export class RabbitPublisher implements OnApplicationShutdown {
  private readonly logger = new Logger(RabbitPublisher.name);
  private readonly codec: MessageCodec = new JsonCodec();
  private channel?: ChannelWrapper;
  private closed = false;
  private closing?: Promise<void>;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    @Inject(RABBITMQ_RESOLVED_OPTIONS) private readonly options: ResolvedRabbitMQOptions,
    private readonly connections: RabbitConnections,
  ) {}

  /** Publishes an event to the events exchange with routing key = pattern. */
  async publish(pattern: string, payload: unknown, options?: PublishOptions): Promise<PublishReceipt> {
    const content = this.codec.encode(payload);
    const properties = buildMessageProperties({
      pattern,
      contentType: this.codec.contentType,
      appId: this.options.serviceName,
      correlationId: currentCorrelationId(),
      options,
    });
    await this.confirm(this.options.exchange, pattern, content, properties);
    return { messageId: properties.messageId, pattern, correlationId: properties.correlationId };
  }

  /**
   * Publishes raw bytes (an existing message, e.g. a dead-lettered copy) and waits for the
   * confirm. `exchange` '' is the default exchange, where routing key = queue name.
   */
  async publishRaw(exchange: string, routingKey: string, content: Buffer, properties: Options.Publish): Promise<void> {
    await this.confirm(exchange, routingKey, content, properties);
  }

  /** Unconfirmed publishes right now. */
  get pendingCount(): number {
    return this.pending.size;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  /** Stops accepting publishes, waits (bounded by the confirm timeout) for outstanding confirms. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      await Promise.allSettled([...this.pending]);
      try {
        await this.channel?.close();
      } catch (error) {
        this.logger.warn(`closing the publish channel failed: ${redactText(String(error))}`);
      }
    })();
    return this.closing;
  }

  private async confirm(exchange: string, routingKey: string, content: Buffer, properties: Options.Publish): Promise<void> {
    if (this.closed) {
      throw new PublisherClosedError('the publisher is shutting down; retry against another instance');
    }
    if (content.length > this.options.maxMessageBytes) {
      throw new MessageTooLargeError(content.length, this.options.maxMessageBytes);
    }
    const sent = this.getChannel().publish(exchange, routingKey, content, {
      ...properties,
      timeout: this.options.publishTimeoutMs,
    });
    this.pending.add(sent);
    try {
      await sent;
    } catch (error) {
      throw this.toPublishError(error);
    } finally {
      this.pending.delete(sent);
    }
  }

  private toPublishError(error: unknown): PublishError {
    const message = redactText(error instanceof Error ? error.message : String(error));
    if (message === 'timeout') {
      const state = this.connections.state('publisher');
      const why = !state.connected ? 'the broker is unreachable' : state.blocked ? 'the broker is blocking publishers' : 'no confirm arrived';
      return new PublishTimeoutError(
        `publish not confirmed within ${this.options.publishTimeoutMs} ms: ${why}`,
        Math.max(1, Math.ceil(this.options.publishTimeoutMs / 1000)),
      );
    }
    return new PublishRejectedError(`the broker did not accept the publish: ${message}`, 1, { cause: error });
  }

  private getChannel(): ChannelWrapper {
    if (this.channel) {
      return this.channel;
    }
    const channel = this.connections.get('publisher').createChannel({
      name: 'publish',
      confirm: true,
      json: false,
      publishTimeout: this.options.publishTimeoutMs,
      setup: (confirmChannel: ConfirmChannel) => declareEventsExchange(confirmChannel, this.options.exchange),
    });
    // Without a listener, a failed setup would be thrown as an unhandled 'error' event.
    channel.on('error', (error: Error) => {
      this.logger.error(`publish channel failed: ${redactText(error.message)}`);
    });
    this.channel = channel;
    return channel;
  }
}
