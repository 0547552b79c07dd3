import { Injectable } from '@nestjs/common';
import type { Channel, ChannelModel } from 'amqplib';
import { RabbitConnections } from '../connection/rabbit-connections.js';
import { redactText } from '../logging/redact-url.js';

/** Depth of one queue as the broker reports it. */
export interface QueueDepth {
  messages: number;
  consumers: number;
}

export type QueueDepthResult = QueueDepth | { error: string };

/**
 * Probes run every few seconds on every pod: depths come from a passive declare on the
 * existing consumer connection (never a connection per probe), cached for `ttlMs`.
 */
export const QUEUE_DEPTH_CACHE_MS = 2_000;

/**
 * Reads queue depths on short-lived channels of its own. A passive declare of a missing queue
 * makes the broker close the channel it ran on; on a shared channel (or one without an 'error'
 * listener, which amqplib escalates to the whole connection) that would stop consumers.
 */
@Injectable()
export class QueueDepthReader {
  private cached?: { at: number; depths: Promise<Record<string, QueueDepthResult>> };

  constructor(private readonly connections: RabbitConnections) {}

  /** Depth of each queue; a queue that cannot be read reports an error instead of failing all. */
  read(queues: string[], ttlMs = QUEUE_DEPTH_CACHE_MS): Promise<Record<string, QueueDepthResult>> {
    if (!this.cached || Date.now() - this.cached.at > ttlMs) {
      this.cached = { at: Date.now(), depths: this.readNow(queues) };
    }
    return this.cached.depths;
  }

  private async readNow(queues: string[]): Promise<Record<string, QueueDepthResult>> {
    const connection = this.connections.get('consumer').connection;
    const depths: Record<string, QueueDepthResult> = {};
    if (!connection) {
      for (const queue of queues) depths[queue] = { error: 'not connected' };
      return depths;
    }
    let channel: Channel | undefined;
    for (const queue of queues) {
      try {
        channel ??= await openChannel(connection);
        const { messageCount, consumerCount } = await channel.checkQueue(queue);
        depths[queue] = { messages: messageCount, consumers: consumerCount };
      } catch (error) {
        depths[queue] = { error: redactText(error instanceof Error ? error.message : String(error)) };
        channel = undefined; // the broker closed it; the next queue gets a fresh one
      }
    }
    await channel?.close().catch(() => undefined);
    return depths;
  }
}

async function openChannel(connection: ChannelModel): Promise<Channel> {
  const channel = await connection.createChannel();
  channel.on('error', () => undefined); // reported per queue above
  return channel;
}
