import type { Logger } from '@nestjs/common';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { RabbitConnections } from '../connection/rabbit-connections.js';
import { redactText } from '../logging/redact-url.js';
import { TopologyConflictError } from '../errors/topology-conflict.error.js';
import type { RabbitMetrics } from '../metrics/rabbitmq-metrics.js';
import type { ResolvedRabbitMQOptions } from '../options/rabbitmq-options.interface.js';
import { PUBLISH_CHANNEL_RENEW_INTERVAL_MS } from '../rabbitmq.constants.js';
import { guardedSetup } from '../topology/guarded-setup.js';
import { unroutedBound } from '../topology/leftover-bounds.js';
import { declareEventsExchange, declareUnroutedQueue } from '../topology/topology.js';
import { PublishChannel } from './publish-channel.js';

/**
 * The publisher's channel over time: opened on first use and set up on each (re)connect (the
 * events exchange, the unrouted queue, the listener for returns), replaced after a nack, and the
 * replaced ones closed once their last confirm is in.
 */
export class PublishChannels {
  private channel?: PublishChannel;
  /** Replaced channels, each closing once its last publish has settled. */
  private readonly retiring = new Set<Promise<void>>();
  private lastRenewalAt = Number.NEGATIVE_INFINITY;
  private closed = false;
  /** Why the channel's set-up last failed, until a set-up succeeds (named in 503 messages). */
  private setupError?: string;

  constructor(
    private readonly options: ResolvedRabbitMQOptions,
    private readonly connections: RabbitConnections,
    private readonly metrics: RabbitMetrics,
    private readonly logger: Logger,
    /** An unroutable publish the broker returned (basic.return). */
    private readonly onReturn: (message: ConsumeMessage) => void,
  ) {}

  /** The channel publishes go to now; opened on first use. */
  current(): PublishChannel {
    this.channel ??= this.open();
    return this.channel;
  }

  /** Why the channel cannot be set up now, or undefined while its last set-up succeeded. */
  get error(): string | undefined {
    return this.setupError;
  }

  /** When the oldest publish still waiting for its confirm was written, on the current channel. */
  oldestUnconfirmedAt(): number | undefined {
    return this.channel?.oldestUnconfirmedAt();
  }

  /**
   * The broker nacked a publish on `nacked`: later publishes go to a new channel (at most once
   * per PUBLISH_CHANNEL_RENEW_INTERVAL_MS), and the old one closes when its last confirm is in.
   * A nack from a channel already replaced changes nothing.
   */
  renew(nacked: PublishChannel): void {
    const now = performance.now();
    if (this.closed || nacked !== this.channel || now - this.lastRenewalAt < PUBLISH_CHANNEL_RENEW_INTERVAL_MS) {
      return;
    }
    this.lastRenewalAt = now;
    this.channel = undefined;
    this.metrics.publishChannelRenewals.inc();
    this.logger.warn(
      'the broker nacked a publish: publishing on a new channel (a quorum queue leader change can leave a channel nacking every publish)',
    );
    const retired = nacked
      .retire(this.options.publish.timeoutMs)
      .catch((error: unknown) => this.logger.warn(`closing a replaced publish channel failed: ${redactText(String(error))}`))
      .finally(() => this.retiring.delete(retired));
    this.retiring.add(retired);
  }

  /** Closes the current channel (call once nothing waits for a confirm) and waits for the replaced ones. */
  async close(): Promise<void> {
    this.closed = true;
    try {
      await this.channel?.wrapper.close();
    } catch (error) {
      this.logger.warn(`closing the publish channel failed: ${redactText(String(error))}`);
    }
    await Promise.allSettled([...this.retiring]);
  }

  private open(): PublishChannel {
    const channel = new PublishChannel(this.connections.get('publisher'), (confirmChannel: ConfirmChannel) => this.setup(confirmChannel));
    // Without a listener, a failed setup would be thrown as an unhandled 'error' event.
    channel.wrapper.on('error', (error: Error) => {
      this.setupError = redactText(error.message);
      if (TopologyConflictError.from(error) || this.connections.topologyConflict('publisher')) {
        return; // reported once per attempt by the connection, with the fix
      }
      this.logger.error(`publish channel failed: ${this.setupError}`);
    });
    // amqp-connection-manager emits 'connect' once a (new) channel's set-up succeeded: the
    // publisher connection is ready, and a set-up error is over.
    channel.wrapper.on('connect', () => {
      this.setupError = undefined;
      this.connections.channelsReady('publisher');
    });
    return channel;
  }

  /** Declares what publishing needs on each (re)connect and listens for unroutable returns. */
  private async setup(channel: ConfirmChannel): Promise<void> {
    channel.on('return', this.onReturn);
    const context = {
      scratch: this.connections.scratchChannel('publisher'),
      reporter: this.connections.reporter('publisher'),
      queueType: this.options.consume.queueType,
      unroutedBound: unroutedBound(this.options),
    };
    await guardedSetup(channel, context.reporter, async () => {
      if (this.options.unrouted.maxLength > 0) {
        await declareUnroutedQueue(this.options.exchange, context);
      }
      await declareEventsExchange(channel, this.options.exchange, context);
    });
  }
}
