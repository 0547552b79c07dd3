import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { Options } from 'amqplib';
import { RabbitConnections } from '../connection/rabbit-connections.js';
import { redactText } from '../logging/redact-url.js';
import {
  PublishBufferFullError,
  PublisherBlockedError,
  PublishError,
  PublishOutcomeUnknownError,
  PublishRejectedError,
  PublishStalledError,
  PublishTimeoutError,
  PublisherClosedError,
  PublishTopologyConflictError,
} from '../errors/publish.errors.js';
import { type PublishOutcome, RabbitMetrics } from '../metrics/rabbitmq-metrics.js';
import type { ResolvedRabbitMQOptions } from '../options/rabbitmq-options.interface.js';
import { RABBITMQ_RESOLVED_OPTIONS } from '../rabbitmq.constants.js';
import { ConfirmStall } from './confirm-stall.js';
import { unroutedQueueName } from '../topology/topology-names.js';
import { UnroutedReturns } from './unrouted-returns.js';
import { MessagingTracer, publishSpanOf } from '../tracing/messaging-tracer.js';
import { EventEncoding } from './event-encoding.js';
import type { PublishOptions } from './message-properties.js';
import { isNack, type PublishChannel } from './publish-channel.js';
import { PublishChannels } from './publish-channels.js';
import type { PublishReceipt } from './publish-receipt.js';

/** Unconfirmed publishes against their bounds, and how long confirms have been stalled (if they are). */
export interface PublisherStatus {
  pending: number;
  pendingBytes: number;
  maxPending: number;
  maxPendingBytes: number;
  closed: boolean;
  /** Set while confirms are stalled: how long the oldest unconfirmed publish has waited, in ms. */
  confirmStallMs?: number;
}

/**
 * Publishes on one confirm channel of the publisher connection. Every publish resolves only
 * once the broker has confirmed it (so "202 Accepted" means stored), and otherwise rejects with a
 * named PublishError that says whether the event was sent:
 * - refused before anything was written (503): publisher closed, buffer full (at most
 *   `publish.maxPending` / `publish.maxPendingBytes` wait for confirms), connection blocked by a
 *   resource alarm, confirms stalled (the oldest unconfirmed publish older than
 *   `publish.confirmStallMs`: a hung broker), or no usable channel within the deadline
 *   (`publish.failFastMs` while disconnected);
 * - nacked by the broker (503): not stored;
 * - written, answer unknown (PublishOutcomeUnknownError, 504 with the eventId): no confirm
 *   within `publish.timeoutMs`, the channel or connection lost after the write, or the broker
 *   started blocking right after the write.
 * Nothing is queued for a later reconnect: a publish is written at once or refused. After a
 * nack, publishing moves to a fresh channel (PublishChannels: a quorum
 * queue leader change can leave a channel that nacks every publish); the old one closes once its
 * last confirm is in.
 */
@Injectable()
export class RabbitPublisher implements OnModuleInit {
  private readonly logger = new Logger(RabbitPublisher.name);
  private readonly events: EventEncoding;
  private readonly channels: PublishChannels;
  private watchingBlocked = false;
  private closed = false;
  private closing?: Promise<void>;
  private readonly pending = new Set<Promise<unknown>>();
  /** Rejecters of written publishes, cut short when the broker starts blocking us. */
  private readonly cutoffs = new Set<(why: string) => void>();
  private readonly stall: ConfirmStall;
  private pendingBytes = 0;
  /** `warren_publishes_total{outcome}` with its label bound once: prom-client hashes a label object per call. */
  private readonly outcomes: Record<PublishOutcome, { inc(): void }>;
  private readonly unrouted: UnroutedReturns;
  /** Publish spans when an OpenTelemetry SDK is registered; otherwise copies the received trace headers. */
  private readonly tracer = new MessagingTracer();

  constructor(
    @Inject(RABBITMQ_RESOLVED_OPTIONS) private readonly options: ResolvedRabbitMQOptions,
    private readonly connections: RabbitConnections,
    private readonly metrics: RabbitMetrics,
  ) {
    this.events = new EventEncoding(options);
    this.stall = new ConfirmStall(options.publish.confirmStallMs, this.logger);
    this.outcomes = {
      confirmed: metrics.publishes.labels('confirmed'),
      failed: metrics.publishes.labels('failed'),
      shed: metrics.publishes.labels('shed'),
      unknown: metrics.publishes.labels('unknown'),
    };
    this.unrouted = new UnroutedReturns({
      metrics,
      logger: this.logger,
      unroutedQueue: options.unrouted.maxLength > 0 ? unroutedQueueName(options.exchange) : undefined,
      logIntervalMs: options.unrouted.logIntervalMs,
      keep: (queue, content, properties) => this.confirm('', queue, content, properties),
    });
    this.channels = new PublishChannels(options, connections, metrics, this.logger, (message) => this.unrouted.returned(message));
  }

  /** Opens the publish channel at start, so its topology is declared (and any conflict seen) before the first request. */
  onModuleInit(): void {
    this.getChannel();
  }

  /**
   * Publishes an event to the events exchange with routing key = pattern, encoded with the
   * module's codec (or `options.encoding.codec`) and compressed above the threshold.
   */
  async publish(pattern: string, payload: unknown, options?: PublishOptions): Promise<PublishReceipt> {
    const { content, properties } = await this.events.encode(pattern, payload, options);
    // mandatory: an event no queue is bound for comes back as basic.return (see UnroutedReturns)
    // instead of being dropped silently — without any argument on the exchange.
    // The publish span (or, with no SDK, the received trace headers) goes into the message headers.
    await this.tracer.publish(publishSpanOf(this.options.exchange, pattern, content, properties), properties.headers, () =>
      this.confirm(this.options.exchange, pattern, content, { ...properties, mandatory: true }),
    );
    return { messageId: properties.messageId, pattern, correlationId: properties.correlationId };
  }

  /**
   * Publishes an event encoded earlier (an outbox row) `mandatory` and waits for its confirm, as
   * publish() does; resolves false when the broker returned it as unroutable (no copy is kept in
   * `<exchange>.unrouted`: the row stays the caller's to retry).
   */
  async publishEncoded(exchange: string, routingKey: string, content: Buffer, properties: Options.Publish & { messageId: string }): Promise<boolean> {
    let routed = true;
    const unwatch = this.unrouted.watch(properties.messageId, () => (routed = false));
    try {
      await this.confirm(exchange, routingKey, content, { ...properties, mandatory: true });
    } finally {
      unwatch();
    }
    return routed;
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

  /**
   * Unconfirmed publishes and their bytes right now, against their bounds; `publish.confirmStallMs` is set
   * while confirms have stopped (how long the oldest unconfirmed publish has waited).
   */
  status(): PublisherStatus {
    const stalledMs = this.confirmStallMs();
    return {
      pending: this.pending.size,
      pendingBytes: this.pendingBytes,
      maxPending: this.options.publish.maxPending,
      maxPendingBytes: this.options.publish.maxPendingBytes,
      closed: this.closed,
      ...(stalledMs === undefined ? {} : { confirmStallMs: Math.round(stalledMs) }),
    };
  }

  /** Stops accepting publishes, waits (bounded by the confirm timeout) for outstanding confirms. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      await Promise.allSettled([...this.pending]);
      await this.channels.close();
    })();
    return this.closing;
  }

  private async confirm(exchange: string, routingKey: string, content: Buffer, properties: Options.Publish): Promise<void> {
    if (this.closed) {
      throw new PublisherClosedError('the publisher is shutting down; the event was not sent; retry against another instance');
    }
    if (
      this.pending.size >= this.options.publish.maxPending ||
      // One message alone always fits, or a parked copy larger than the budget could never leave.
      (this.pending.size > 0 && this.pendingBytes + content.length > this.options.publish.maxPendingBytes)
    ) {
      this.outcomes.shed.inc();
      throw new PublishBufferFullError(
        `${this.pending.size} publishes (${this.pendingBytes} bytes) already wait for confirms: ${this.unavailability()}; ` +
          'the event was not sent',
      );
    }
    const refusal = this.refusal();
    if (refusal) {
      this.outcomes.shed.inc();
      throw refusal;
    }
    const answered = this.writeAndConfirm(this.getChannel(), exchange, routingKey, content, properties);
    this.pending.add(answered);
    this.pendingBytes += content.length;
    try {
      await answered;
    } finally {
      this.pending.delete(answered);
      this.pendingBytes -= content.length;
    }
  }

  /**
   * A reason to refuse before writing anything, or undefined. Blocked: written now, the publish
   * would sit in the socket and reach the broker when the alarm clears, after the caller was
   * told 503. Stalled: confirms stopped (a hung broker), so a write would only end as "outcome
   * unknown" after the full confirm timeout.
   */
  private refusal(): PublishError | undefined {
    const conflict = this.connections.topologyConflict('publisher');
    if (conflict) {
      return new PublishTopologyConflictError(`${conflict.summary}: the broker is reachable but refuses our declaration; the event was not sent`, 5);
    }
    const state = this.connections.state('publisher');
    if (state.blocked) {
      const reason = state.blockedReason ?? 'resource alarm';
      return new PublisherBlockedError(`the broker is blocking publishers (${reason}); the event was not sent`);
    }
    const stalledMs = this.confirmStallMs();
    if (stalledMs !== undefined) {
      return new PublishStalledError(
        `the broker has not confirmed a publish for ${Math.round(stalledMs)} ms (hung or overloaded); the event was not sent`,
      );
    }
    return undefined;
  }

  /**
   * Waits (nothing written) for a usable channel, writes, and waits for the broker's answer.
   * Every failure says whether the event was sent: refused before the write (503 errors), nacked
   * (PublishRejectedError), or written without an answer (PublishOutcomeUnknownError).
   */
  private async writeAndConfirm(
    channel: PublishChannel,
    exchange: string,
    routingKey: string,
    content: Buffer,
    properties: Options.Publish,
  ): Promise<void> {
    const startedAt = performance.now();
    // Connected with a working channel set-up: the channel is only being (re)opened, worth the
    // full deadline (a set-up that fails ends the wait at once). Down, or its set-up failing: fail fast.
    const connected = this.connections.state('publisher').connected;
    const waitMs = connected && !this.channels.error ? this.options.publish.timeoutMs : this.options.publish.failFastMs;
    if (!(await channel.whenReady(waitMs))) {
      this.outcomes.shed.inc();
      throw new PublishTimeoutError(`no usable channel to the broker within ${waitMs} ms: ${this.unavailability()}; the event was not sent`);
    }
    let confirmed: Promise<void>;
    try {
      confirmed = channel.write(exchange, routingKey, content, properties);
    } catch (error) {
      this.outcomes.shed.inc();
      const why = redactText(String(error));
      throw new PublishTimeoutError(`the channel to the broker closed (${why}); the event was not sent`, 1, { cause: error });
    }
    const writtenAt = performance.now();
    // The rest of the confirm deadline, but never less than the fail-fast bound after the write.
    const timeoutMs = Math.max(this.options.publish.failFastMs, Math.round(startedAt + this.options.publish.timeoutMs - writtenAt));
    const unknown = (why: string, cause?: unknown) =>
      new PublishOutcomeUnknownError(
        `the event was sent but ${why}; it may or may not be stored: reconcile by eventId before retrying`,
        properties.messageId,
        cause === undefined ? undefined : { cause },
      );
    let timer: NodeJS.Timeout | undefined;
    let cut!: (why: string) => void;
    const answer = new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(unknown(`no confirm came within ${timeoutMs} ms (${this.unavailability()})`)), timeoutMs);
      // The broker started blocking us after the write (watchBlocked).
      cut = (why) => reject(unknown(why));
      confirmed.then(resolve, (error: unknown) => {
        if (isNack(error)) {
          this.channels.renew(channel);
          reject(new PublishRejectedError('the broker nacked the publish: the event was not stored', 1, { cause: error }));
        } else {
          const why = redactText(error instanceof Error ? error.message : String(error));
          reject(unknown(`the channel closed before the broker answered (${why})`, error));
        }
      });
    });
    this.cutoffs.add(cut);
    try {
      await answer;
      this.metrics.confirmLatency.observe((performance.now() - writtenAt) / 1000);
      this.outcomes.confirmed.inc();
    } catch (error) {
      (error instanceof PublishOutcomeUnknownError ? this.outcomes.unknown : this.outcomes.failed).inc();
      throw error;
    } finally {
      clearTimeout(timer);
      this.cutoffs.delete(cut);
    }
  }

  /** How long the oldest unconfirmed publish has waited, when confirms count as stalled; else undefined. */
  private confirmStallMs(): number | undefined {
    return this.stall.check(this.channels.oldestUnconfirmedAt());
  }

  /** Why publishes are not being confirmed, for error messages. */
  private unavailability(): string {
    const conflict = this.connections.topologyConflict('publisher');
    if (conflict) {
      return conflict.summary;
    }
    const state = this.connections.state('publisher');
    // First: a refused set-up also makes the connection fail and reconnect; "unreachable" would hide why.
    if (this.channels.error) return `the publish channel cannot be set up (${this.channels.error})`;
    if (!state.connected) return 'the broker is unreachable';
    if (state.blocked) return `the broker is blocking publishers (${state.blockedReason ?? 'resource alarm'})`;
    return this.stall.isStalled ? 'the broker has stopped confirming (hung?)' : 'confirms are slow';
  }

  private getChannel(): PublishChannel {
    this.watchBlocked();
    return this.channels.current();
  }

  /**
   * Publishes already written when the broker starts blocking would otherwise wait the full
   * confirm timeout: give them publishFailFastMs more, then answer "outcome unknown" — they are
   * in the broker's socket buffer and will be stored once the alarm clears. RabbitMQ sends
   * connection.blocked only when a publish arrives during an alarm, so the first publish after
   * an alarm is always one of them. Registered once, whatever the number of channels over time.
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
          cut(
            'the broker started blocking publishers right after the write (resource alarm): ' +
              'it stores the event once the alarm clears, unless the connection is lost first',
          );
        }
      }, this.options.publish.failFastMs).unref();
    });
  }
}
