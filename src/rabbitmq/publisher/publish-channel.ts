import type { ChannelWrapper } from 'amqp-connection-manager';
import type { Options } from 'amqplib';

/**
 * amqplib's error for a publish the broker answered with basic.nack (lib/channel.js); the
 * protocol carries no reason, so this text is all there is to tell a nack from other failures.
 */
const NACK_MESSAGE = 'message nacked';

/** True when a publish failed because the broker nacked it (not a timeout, not a closed channel). */
export function isNack(error: unknown): boolean {
  return error instanceof Error && error.message === NACK_MESSAGE;
}

/**
 * One confirm channel of the publisher and the publishes still waiting on it, so that it can be
 * retired — closed once its last confirm is in — while new publishes go to a fresh channel.
 */
export class PublishChannel {
  private readonly waiting = new Set<Promise<unknown>>();

  constructor(readonly wrapper: ChannelWrapper) {}

  /** Publishes through amqp-connection-manager; resolves on the broker's confirm. */
  publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish & { timeout: number }): Promise<unknown> {
    const sent = this.wrapper.publish(exchange, routingKey, content, options);
    this.waiting.add(sent);
    const forget = () => this.waiting.delete(sent);
    sent.then(forget, forget);
    return sent;
  }

  /**
   * Closes the channel once every publish on it has settled. Each one is bounded by its own
   * timeout, so this ends; closing earlier would answer them "Channel closed" although the
   * broker may still confirm them.
   */
  async retire(): Promise<void> {
    while (this.waiting.size > 0) {
      await Promise.allSettled([...this.waiting]);
    }
    await this.wrapper.close();
  }
}
