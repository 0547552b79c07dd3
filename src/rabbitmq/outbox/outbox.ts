import { Inject, Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { OutboxFullError, OutboxUnavailableError } from '../errors/outbox.errors.js';
import type { ResolvedOutboxOptions } from '../options/rabbitmq-options.interface.js';
import type { ResolvedRabbitMQOptions } from '../options/rabbitmq-options.interface.js';
import { EventEncoding } from '../publisher/event-encoding.js';
import type { PublishOptions } from '../publisher/message-properties.js';
import { RABBITMQ_RESOLVED_OPTIONS } from '../rabbitmq.constants.js';
import { fitsRoutingKey, MAX_ROUTING_KEY_BYTES } from '../topology/topic-pattern.js';
import { MessagingTracer, publishSpanOf } from '../tracing/messaging-tracer.js';
import { OutboxDatabase } from './outbox-database.js';
import { OutboxRelay } from './outbox-relay.js';
import type { SqlExecutor } from './sql-executor.js';

/** What `Outbox.publish` takes beyond RabbitClient.publish's options. */
export interface OutboxPublishOptions extends PublishOptions {
  /**
   * Events with the same key are published one at a time in commit order (e.g. the order id);
   * without one an event is published independently of all others.
   */
  key?: string;
}

/**
 * The producer side of the transactional outbox. `publish(tx, pattern, event, { key })` writes
 * the event into `warren_outbox` inside the caller's transaction, encoded exactly as
 * RabbitClient.publish would send it (codec, compression, message id — fixed here —, correlation
 * id, trace headers); the relay publishes it after the commit. Nothing is published if the
 * transaction rolls back; nothing is lost if the broker is down. Bounded: above a high watermark
 * of pending rows or age it refuses (OutboxFullError, 503).
 */
@Injectable()
export class Outbox {
  private readonly events: EventEncoding;
  private readonly tracer = new MessagingTracer();

  constructor(
    @Inject(RABBITMQ_RESOLVED_OPTIONS) private readonly options: ResolvedRabbitMQOptions,
    private readonly database: OutboxDatabase,
    private readonly relay: OutboxRelay,
  ) {
    this.events = new EventEncoding(options);
  }

  /**
   * Writes the event in `tx` (a pg client inside BEGIN … COMMIT, or any SqlExecutor wrapping a
   * team's own transaction). Throws MessageTooLargeError, like RabbitClient.publish, for a body
   * over maxMessageBytes.
   */
  async publish<T>(tx: SqlExecutor, pattern: string, event: T, options?: OutboxPublishOptions): Promise<{ messageId: string }> {
    if (!this.database.schemaReady) {
      throw new OutboxUnavailableError(
        'the outbox tables are not migrated yet: PostgreSQL was unreachable when the service started (the migration is retried until it answers); ' +
          'nothing was written, retry later',
        5,
      );
    }
    this.refuseAboveWatermark(this.database.get().options);
    if (typeof pattern !== 'string' || pattern.length === 0 || !fitsRoutingKey(pattern)) {
      throw new TypeError(
        `outbox.publish(tx, pattern, event): pattern must be a non-empty string of at most ${MAX_ROUTING_KEY_BYTES} bytes (an AMQP routing key)`,
      );
    }
    const key = options?.key;
    if (key !== undefined && (typeof key !== 'string' || key.length === 0)) {
      throw new TypeError('outbox.publish: options.key must be a non-empty string');
    }
    const { content, properties } = await this.events.encode(pattern, event, options);
    // The publish span (with an SDK) covers the write into the outbox, in the caller's trace: its context travels in the
    // row's headers, so the handlers' process spans are its children, as with RabbitClient.publish. Without an SDK only
    // the received trace headers are copied.
    await this.tracer.publish(publishSpanOf(this.options.exchange, pattern, content, properties), properties.headers, () =>
      tx.query(
        'INSERT INTO warren_outbox (message_id, exchange, routing_key, partition_key, body, properties) VALUES ($1, $2, $3, $4, $5, $6::jsonb)',
        [properties.messageId, this.options.exchange, pattern, key ?? null, content, JSON.stringify(properties)],
      ),
    );
    return { messageId: properties.messageId };
  }

  /** OutboxFullError when the relay's last count is above a high watermark. */
  private refuseAboveWatermark(options: ResolvedOutboxOptions): void {
    const backlog = this.relay.backlog;
    if (!backlog) return;
    if (backlog.pending > options.maxPending || backlog.oldestAgeMs > options.maxPendingAgeMs) {
      throw new OutboxFullError(
        `the outbox holds ${backlog.pending} unpublished events, the oldest ${Math.round(backlog.oldestAgeMs / 1000)} s old ` +
          `(limits: ${options.maxPending} events, ${Math.round(options.maxPendingAgeMs / 1000)} s): the broker has been unavailable too long; ` +
          'nothing was written, retry later',
        5,
      );
    }
  }

  /**
   * Runs `work` in a transaction on a client of the outbox's pool, commits, and wakes this
   * replica's relay at once (else it finds the rows within `pollMs`). Rolls back if `work` throws.
   */
  async transaction<T>(work: (tx: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.database.get().pool.connect();
    // A connection whose BEGIN, ROLLBACK or COMMIT failed is in an unknown state: destroyed, not pooled.
    let healthy = false;
    try {
      await client.query('BEGIN');
      let result: T;
      try {
        result = await work(client);
      } catch (error) {
        await client.query('ROLLBACK').then(
          () => (healthy = true),
          () => undefined,
        );
        throw error;
      }
      await client.query('COMMIT');
      healthy = true;
      this.relay.wake();
      return result;
    } finally {
      client.release(!healthy);
    }
  }
}
