import { BaseRpcContext } from '@nestjs/microservices';
import type { ConsumeMessage } from 'amqplib';
import { isSafeCorrelationId } from '../tracing/correlation-id.js';
import { deliveredProperties } from '../wire/carried-properties.js';
import { readRetryCount } from '../wire/message-headers.js';
import { messageIdOf } from '../wire/message-identity.js';

type RabbitContextArgs = [message: ConsumeMessage, pattern: string, queue: string];

/**
 * What a handler can ask about the message it handles (via `@Ctx()`). It deliberately exposes
 * no channel: acking is the transport's job, so a handler cannot ack early or twice.
 */
export class RabbitContext extends BaseRpcContext<RabbitContextArgs> {
  private captured?: { error: unknown };
  private messageId?: string;

  /** The raw AMQP message (properties, headers, fields). */
  getMessage(): ConsumeMessage {
    return this.args[0];
  }

  /** The event pattern the message was routed by. */
  getPattern(): string {
    return this.args[1];
  }

  /** The queue it was consumed from. */
  getQueue(): string {
    return this.args[2];
  }

  /**
   * Stable id for de-duplication: retries and redeliveries keep it. The producer's `message_id`,
   * or, when it set none, an id derived from the routing key, timestamp, type, app id and body
   * (see `messageIdOf`), which every retry copy then carries as its `message_id`.
   */
  getMessageId(): string {
    this.messageId ??= messageIdOf(this.getMessage());
    return this.messageId;
  }

  /**
   * The producer's correlation id, if it is a plain id (the X-Request-Id rule); undefined for a
   * missing or unsafe one (CR/LF, escapes, over 128 characters), so it cannot be copied onwards.
   */
  getCorrelationId(): string | undefined {
    const { correlationId } = deliveredProperties(this.getMessage().properties);
    return isSafeCorrelationId(correlationId) ? correlationId : undefined;
  }

  /** True when the broker delivered this message before (a crash or requeue happened). */
  isRedelivered(): boolean {
    return this.getMessage().fields.redelivered;
  }

  /** Retries already made of this message: 0 on its first delivery. */
  getRetryCount(): number {
    return readRetryCount(this.getMessage());
  }

  /** @internal Keeps the handler's original error before Nest's exception filter replaces it. */
  captureFailure(error: unknown): void {
    this.captured = { error };
  }

  /** @internal */
  capturedFailure(): { error: unknown } | undefined {
    return this.captured;
  }
}
