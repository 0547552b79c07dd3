import { BaseRpcContext } from '@nestjs/microservices';
import type { ConsumeMessage } from 'amqplib';

type RabbitContextArgs = [message: ConsumeMessage, pattern: string, queue: string];

/**
 * What a handler can ask about the message it handles (via `@Ctx()`). It deliberately exposes
 * no channel: acking is the transport's job, so a handler cannot ack early or twice.
 */
export class RabbitContext extends BaseRpcContext<RabbitContextArgs> {
  private captured?: { error: unknown };

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

  /** Stable id for de-duplication: a redelivered message has the same one. */
  getMessageId(): string | undefined {
    return this.getMessage().properties.messageId;
  }

  getCorrelationId(): string | undefined {
    return this.getMessage().properties.correlationId;
  }

  /** True when the broker delivered this message before (a crash or requeue happened). */
  isRedelivered(): boolean {
    return this.getMessage().fields.redelivered;
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
