import { Injectable, Logger } from '@nestjs/common';
import type { ChannelWrapper } from 'amqp-connection-manager';
import { RabbitConnections } from '../connection/rabbit-connections.js';
import { redactText } from '../connection/redact-url.js';

/** Depth of one queue as the broker reports it. */
export interface QueueDepth {
  messages: number;
  consumers: number;
}

/**
 * Probes run every few seconds on every pod: depths come from a passive declare on a channel
 * of the existing consumer connection (never a connection per probe), cached for `ttlMs`.
 */
export const QUEUE_DEPTH_CACHE_MS = 2_000;

@Injectable()
export class QueueDepthReader {
  private readonly logger = new Logger(QueueDepthReader.name);
  private channel?: ChannelWrapper;
  private cached?: { at: number; depths: Promise<Record<string, QueueDepth | { error: string }>> };

  constructor(private readonly connections: RabbitConnections) {}

  /** Depth of each queue; a queue that cannot be read reports an error instead of failing all. */
  read(queues: string[], ttlMs = QUEUE_DEPTH_CACHE_MS): Promise<Record<string, QueueDepth | { error: string }>> {
    if (!this.cached || Date.now() - this.cached.at > ttlMs) {
      this.cached = { at: Date.now(), depths: this.readNow(queues) };
    }
    return this.cached.depths;
  }

  private async readNow(queues: string[]): Promise<Record<string, QueueDepth | { error: string }>> {
    const channel = this.getChannel();
    await channel.waitForConnect();
    const entries = await Promise.all(
      queues.map(async (queue) => {
        try {
          const { messageCount, consumerCount } = await channel.checkQueue(queue);
          return [queue, { messages: messageCount, consumers: consumerCount }] as const;
        } catch (error) {
          return [queue, { error: redactText(error instanceof Error ? error.message : String(error)) }] as const;
        }
      }),
    );
    return Object.fromEntries(entries);
  }

  private getChannel(): ChannelWrapper {
    if (!this.channel) {
      this.channel = this.connections.get('consumer').createChannel({ name: 'health', json: false });
      // A passive declare of a missing queue closes the channel; the wrapper reopens it.
      this.channel.on('error', (error: Error) => this.logger.warn(`health channel: ${redactText(error.message)}`));
    }
    return this.channel;
  }
}
