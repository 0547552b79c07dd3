import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import { CodecRegistry } from '../codec/codec-registry.js';
import { MessageEncoder } from '../codec/message-encoder.js';
import { RabbitConnections } from '../connection/rabbit-connections.js';
import { redactText } from '../connection/redact-url.js';
import { currentCorrelationId } from '../correlation/correlation-context.js';
import {
  PublishBufferFullError,
  PublisherBlockedError,
  PublishError,
  PublishRejectedError,
  PublishTimeoutError,
  PublisherClosedError,
  PublishTopologyConflictError,
} from '../errors/publish.errors.js';
import { TopologyConflictError } from '../errors/topology-conflict.error.js';
import { closeAfterFailedSetup } from '../topology/close-failed-setup.js';
import { type PublishOutcome, RabbitMetrics } from '../metrics/rabbitmq-metrics.js';
import type { ResolvedRabbitMQOptions } from '../options/rabbitmq-options.interface.js';
import { PUBLISH_CHANNEL_RENEW_INTERVAL_MS, RABBITMQ_RESOLVED_OPTIONS } from '../rabbitmq.constants.js';
import { deadLetterBound, unroutedBound } from '../topology/leftover-bounds.js';
import { unroutedQueueName } from '../topology/topology-names.js';
import { declareEventsExchange, declareUnroutedQueue } from '../topology/topology.js';
import { UnroutedReturns } from './unrouted-returns.js';
import { buildMessageProperties, type PublishOptions } from './message-properties.js';
import { isNack, PublishChannel } from './publish-channel.js';
import type { PublishReceipt } from './publish-receipt.js';

/**
 * Publishes on one confirm channel of the publisher connection. Every publish resolves only
 * once the broker has confirmed it (so "202 Accepted" means stored), and rejects with a named
 * PublishError instead of hanging: within `publishTimeoutMs` normally, within
 * `publishFailFastMs` while the connection is down or blocked. At most `maxPendingPublishes`
 * messages / `maxPendingPublishBytes` bytes wait for confirms; beyond that a publish is refused
 * at once. While disconnected, amqp-connection-manager holds the (bounded) publishes not yet
 * written and sends them after a reconnect; those already written when the connection dies are
 * answered "channel closed" (amqplib fails their confirms before the wrapper learns of the
 * disconnect), so they fail (503) although the broker may have stored them. After a nack,
 * publishing moves to a fresh channel (see PUBLISH_CHANNEL_RENEW_INTERVAL_MS: a quorum queue
 * leader change can leave a channel that nacks every publish); the old one closes once its last
 * confirm is in.
 */
@Injectable()
export class RabbitPublisher implements OnModuleInit {
  private readonly logger = new Logger(RabbitPublisher.name);
  private readonly encoder: MessageEncoder;
  private channel?: PublishChannel;
  /** Replaced channels, each closing once its last publish has settled. */
  private readonly retiring = new Set<Promise<void>>();
  private lastRenewalAt = Number.NEGATIVE_INFINITY;
  private watchingBlocked = false;
  private closed = false;
  private closing?: Promise<void>;
  private readonly pending = new Set<Promise<unknown>>();
  /** Rejecters of pending publishes, cut short when the broker starts blocking us. */
  private readonly cutoffs = new Set<(error: PublishError) => void>();
  private pendingBytes = 0;
  /** `warren_publishes_total{outcome}` with its label bound once: prom-client hashes a label object per call. */
  private readonly outcomes: Record<PublishOutcome, { inc(): void }>;
  private readonly unrouted: UnroutedReturns;

  constructor(
    @Inject(RABBITMQ_RESOLVED_OPTIONS) private readonly options: ResolvedRabbitMQOptions,
    private readonly connections: RabbitConnections,
    private readonly metrics: RabbitMetrics,
  ) {
    this.encoder = new MessageEncoder(CodecRegistry.withBuiltins(options.codecs), options);
    this.outcomes = {
      confirmed: metrics.publishes.labels('confirmed'),
      failed: metrics.publishes.labels('failed'),
      shed: metrics.publishes.labels('shed'),
    };
    this.unrouted = new UnroutedReturns({
      metrics,
      logger: this.logger,
      unroutedQueue: options.unroutedMaxLength > 0 ? unroutedQueueName(options.exchange) : undefined,
      keep: (queue, content, properties) => this.confirm('', queue, content, properties),
    });
  }

  /** Opens the publish channel at start, so its topology is declared (and any conflict seen) before the first request. */
  onModuleInit(): void {
    this.getChannel();
  }

  /**
   * Publishes an event to the events exchange with routing key = pattern, encoded with the
   * module's codec (or `options.codec`) and compressed above the threshold.
   */
  async publish(pattern: string, payload: unknown, options?: PublishOptions): Promise<PublishReceipt> {
    // Throws MessageTooLargeError for an encoded body over maxMessageBytes.
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
    // mandatory: an event no queue is bound for comes back as basic.return (see UnroutedReturns)
    // instead of being dropped silently — without any argument on the exchange.
    await this.confirm(this.options.exchange, pattern, content, { ...properties, mandatory: true });
    return { messageId: properties.messageId, pattern, correlationId: properties.correlationId };
  }

  /**
   * Publishes raw bytes (an existing message, e.g. a dead-lettered copy) and waits for the
   * confirm. `exchange` '' is the default exchange, where routing key = queue name. No size
   * limit here: the message is already in the broker, and refusing to park an oversized
   * message would requeue it forever.
   */
  async publishRaw(exchange: string, routingKey: string, content: Buffer, properties: Options.Publish): Promise<void> {
    await this.confirm(exchange, routingKey, content, properties);
  }

  /** Unconfirmed publishes and their bytes right now, against their bounds. */
  status(): { pending: number; pendingBytes: number; maxPending: number; maxPendingBytes: number; closed: boolean } {
    return {
      pending: this.pending.size,
      pendingBytes: this.pendingBytes,
      maxPending: this.options.maxPendingPublishes,
      maxPendingBytes: this.options.maxPendingPublishBytes,
      closed: this.closed,
    };
  }

  /** Stops accepting publishes, waits (bounded by the confirm timeout) for outstanding confirms. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      await Promise.allSettled([...this.pending]);
      try {
        await this.channel?.wrapper.close();
      } catch (error) {
        this.logger.warn(`closing the publish channel failed: ${redactText(String(error))}`);
      }
      await Promise.allSettled([...this.retiring]);
    })();
    return this.closing;
  }

  private async confirm(exchange: string, routingKey: string, content: Buffer, properties: Options.Publish): Promise<void> {
    if (this.closed) {
      throw new PublisherClosedError('the publisher is shutting down; retry against another instance');
    }
    if (
      this.pending.size >= this.options.maxPendingPublishes ||
      // One message alone always fits, or a parked copy larger than the budget could never leave.
      (this.pending.size > 0 && this.pendingBytes + content.length > this.options.maxPendingPublishBytes)
    ) {
      this.outcomes.shed.inc();
      throw new PublishBufferFullError(
        `${this.pending.size} publishes (${this.pendingBytes} bytes) already wait for confirms: ${this.unavailability()}`,
      );
    }
    const conflict = this.connections.topologyConflict('publisher');
    if (conflict) {
      this.outcomes.shed.inc();
      throw new PublishTopologyConflictError(`${conflict.summary}: the broker is reachable but refuses our declaration; the event was not sent`, 5);
    }
    const state = this.connections.state('publisher');
    if (state.blocked) {
      // Written now, it would sit in the socket and reach the broker when the alarm clears,
      // after the caller was told 503: refuse before sending instead.
      this.outcomes.shed.inc();
      throw new PublisherBlockedError(`the broker is blocking publishers (${state.blockedReason ?? 'resource alarm'}); the event was not sent`);
    }
    const timeout = state.connected ? this.options.publishTimeoutMs : this.options.publishFailFastMs;
    const channel = this.getChannel();
    const sent = channel.publish(exchange, routingKey, content, { ...properties, timeout });
    // The broker's answer — or an earlier failure when the broker starts blocking us (watchBlocked).
    let cut!: (error: PublishError) => void;
    const answered = new Promise<unknown>((resolve, reject) => {
      cut = reject;
      sent.then(resolve, reject);
    });
    this.cutoffs.add(cut);
    this.pending.add(sent);
    this.pendingBytes += content.length;
    const startedAt = performance.now();
    try {
      await answered;
      this.metrics.confirmLatency.observe((performance.now() - startedAt) / 1000);
      this.outcomes.confirmed.inc();
    } catch (error) {
      this.outcomes.failed.inc();
      if (isNack(error)) {
        this.renewChannel(channel);
      }
      throw this.toPublishError(error, timeout);
    } finally {
      this.cutoffs.delete(cut);
      this.pending.delete(sent);
      this.pendingBytes -= content.length;
    }
  }

  /** Why publishes are not being confirmed, for error messages. */
  private unavailability(): string {
    const conflict = this.connections.topologyConflict('publisher');
    if (conflict) {
      return conflict.summary;
    }
    const state = this.connections.state('publisher');
    return !state.connected ? 'the broker is unreachable' : state.blocked ? `the broker is blocking publishers (${state.blockedReason ?? 'resource alarm'})` : 'confirms are slow';
  }

  private toPublishError(error: unknown, timeoutMs: number): PublishError {
    const message = redactText(error instanceof Error ? error.message : String(error));
    if (message === 'timeout') {
      return new PublishTimeoutError(`publish not confirmed within ${timeoutMs} ms: ${this.unavailability()}`);
    }
    return new PublishRejectedError(`the broker did not accept the publish: ${message}`, 1, { cause: error });
  }

  private getChannel(): PublishChannel {
    this.channel ??= this.openChannel();
    return this.channel;
  }

  private openChannel(): PublishChannel {
    this.watchBlocked();
    const wrapper = this.connections.get('publisher').createChannel({
      name: 'publish',
      confirm: true,
      json: false,
      publishTimeout: this.options.publishTimeoutMs,
      setup: (confirmChannel: ConfirmChannel) => this.setup(confirmChannel),
    });
    // Without a listener, a failed setup would be thrown as an unhandled 'error' event.
    wrapper.on('error', (error: Error) => {
      if (TopologyConflictError.from(error) || this.connections.topologyConflict('publisher')) {
        return; // reported once per attempt by the connection, with the fix
      }
      this.logger.error(`publish channel failed: ${redactText(error.message)}`);
    });
    return new PublishChannel(wrapper);
  }

  /** Declares what publishing needs on each (re)connect and listens for unroutable returns. */
  private async setup(channel: ConfirmChannel): Promise<void> {
    channel.on('return', (message: ConsumeMessage) => this.unrouted.returned(message));
    const context = {
      scratch: this.connections.scratchChannel('publisher'),
      reporter: this.connections.reporter('publisher'),
      queueType: this.options.queueType,
      unroutedBound: unroutedBound(this.options),
      deadLetterBound: deadLetterBound(this.options),
    };
    try {
      if (this.options.unroutedMaxLength > 0) {
        await declareUnroutedQueue(this.options.exchange, context);
      }
      await declareEventsExchange(channel, this.options.exchange, context);
    } catch (error) {
      // Closed first, so the channel wrapper does not go on to consume (or prefetch) on it while
      // the connection closes: amqp-connection-manager does not await that prefetch, and its
      // rejection would crash the process. It gets a fresh channel on the next connect.
      await closeAfterFailedSetup(channel);
      const conflict = TopologyConflictError.from(error);
      if (conflict) {
        context.reporter.conflict(conflict);
      }
      throw conflict ?? error;
    }
  }

  /**
   * The broker nacked a publish on `nacked`: later publishes go to a new channel (at most once
   * per PUBLISH_CHANNEL_RENEW_INTERVAL_MS), and the old one closes when its last confirm is in.
   * A nack from a channel already replaced changes nothing.
   */
  private renewChannel(nacked: PublishChannel): void {
    const now = performance.now();
    if (this.closed || nacked !== this.channel || now - this.lastRenewalAt < PUBLISH_CHANNEL_RENEW_INTERVAL_MS) {
      return;
    }
    this.lastRenewalAt = now;
    this.channel = undefined;
    this.metrics.publishChannelRenewals.inc();
    this.logger.warn('the broker nacked a publish: publishing on a new channel (a quorum queue leader change can leave a channel nacking every publish)');
    const retired = nacked
      .retire()
      .catch((error: unknown) => this.logger.warn(`closing a replaced publish channel failed: ${redactText(String(error))}`))
      .finally(() => this.retiring.delete(retired));
    this.retiring.add(retired);
  }

  /**
   * Publishes already waiting when the broker starts blocking would otherwise wait the full
   * confirm timeout: give them publishFailFastMs more, then answer. Registered once, whatever
   * the number of channels over time.
   */
  private watchBlocked(): void {
    if (this.watchingBlocked) {
      return;
    }
    this.watchingBlocked = true;
    this.connections.get('publisher').on('blocked', () => {
      const waiting = [...this.cutoffs];
      setTimeout(() => {
        for (const cut of waiting) {
          cut(new PublishTimeoutError(`the broker started blocking publishers; no confirm within ${this.options.publishFailFastMs} ms after that`));
        }
      }, this.options.publishFailFastMs).unref();
    });
  }
}
