import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type BeforeApplicationShutdown, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { RabbitConnections } from '../connection/rabbit-connections.js';
import { redactText } from '../logging/redact-url.js';
import { OutboxMetrics } from '../metrics/outbox-metrics.js';
import { RabbitMetrics } from '../metrics/rabbitmq-metrics.js';
import { RabbitPublisher } from '../publisher/rabbit-publisher.js';
import { OutboxDatabase } from './outbox-database.js';
import { type OutboxBacklog, type OutboxRow, OutboxStore } from './outbox-store.js';
import { ThrottledWarning } from './throttled-warning.js';
import { type BatchOutcome, classifyPublishFailure, publishBatch, type RowPublish } from './relay-batch.js';

/** Batches publishing at once: one claimed while the previous one's confirms come in. */
const BATCHES_IN_FLIGHT = 2;
/** How often pending rows are counted (metrics, readiness, the outbox's high watermark). */
const BACKLOG_INTERVAL_MS = 1_000;
/** At most one "database unreachable" warning per this interval. */
const ERROR_LOG_INTERVAL_MS = 10_000;

/**
 * Publishes committed outbox rows; one runs in every replica. A loop claims a batch (a lease
 * fenced by this relay's owner id), publishes it with confirms (keys side by side, a key's rows
 * in order), deletes the confirmed rows, schedules a retry or buries the failed ones, and gives
 * back the rest — while the next batch is claimed. It pauses, spending no attempts, while the
 * broker is unreachable or blocking publishers; it wakes at a local commit (`wake()`) and
 * otherwise polls every `pollMs`. At shutdown it finishes its batches and releases its leases.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  /** Fences this relay's updates: unique per process start. */
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private store?: OutboxStore;
  private running = false;
  private loop?: Promise<void>;
  private readonly batches = new Set<Promise<void>>();
  private woken = false;
  private wakeUp?: () => void;
  private lastBacklog?: OutboxBacklog;
  private backlogTimer?: NodeJS.Timeout;
  private readonly failures = new ThrottledWarning(this.logger, ERROR_LOG_INTERVAL_MS);
  /** After a publish found the broker unavailable, no claim before this (performance.now()). */
  private unavailableUntil = 0;

  constructor(
    private readonly database: OutboxDatabase,
    private readonly publisher: RabbitPublisher,
    private readonly connections: RabbitConnections,
    private readonly metrics: OutboxMetrics,
    rabbitMetrics: RabbitMetrics,
  ) {
    if (database.enabled) {
      metrics.watchBacklog(rabbitMetrics, () => this.lastBacklog);
    }
  }

  /** Pending rows and the oldest one's age, counted at most a second ago (undefined before the first count). */
  get backlog(): OutboxBacklog | undefined {
    return this.lastBacklog;
  }

  onApplicationBootstrap(): void {
    if (!this.database.enabled) {
      return;
    }
    const { pool, relayPool, options } = this.database.get();
    this.store = new OutboxStore(relayPool ?? pool);
    this.backlogTimer = setInterval(() => void this.countBacklog(), BACKLOG_INTERVAL_MS).unref();
    void this.countBacklog();
    if (options.relay) {
      this.running = true;
      this.loop = this.run();
    }
  }

  /** False while the outbox tables are not migrated (PostgreSQL unreachable since the start): `Outbox.publish` refuses then. */
  get schemaReady(): boolean {
    return !this.database.enabled || this.database.schemaReady;
  }

  /** Looks for rows now (after a local commit) instead of at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Stops claiming, lets the batches in flight finish (the publisher is still open), releases every lease held. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.backlogTimer);
    if (!this.running) {
      return;
    }
    this.running = false;
    this.wake();
    await this.loop;
    await Promise.allSettled([...this.batches]);
    try {
      await this.store?.releaseAll(this.owner);
    } catch (error) {
      this.logger.warn(`releasing the outbox leases at shutdown failed (they expire on their own): ${redactText(String(error))}`);
    }
  }

  private async run(): Promise<void> {
    const { options } = this.database.get();
    while (this.running) {
      // No tables yet (PostgreSQL unreachable since the start): nothing to claim until OutboxDatabase migrated them.
      if (!this.database.schemaReady || this.batches.size >= BATCHES_IN_FLIGHT || !this.brokerUsable() || performance.now() < this.unavailableUntil) {
        await this.idle(options.pollMs);
        continue;
      }
      let rows: OutboxRow[];
      try {
        rows = await this.store!.claim(this.owner, options.leaseMs, options.batchSize);
      } catch (error) {
        this.failures.warn(`claiming outbox rows failed (retrying every ${options.pollMs} ms)`, error);
        await this.idle(options.pollMs);
        continue;
      }
      if (rows.length === 0) {
        await this.idle(options.pollMs);
        continue;
      }
      const batch = this.relayBatch(rows)
        .catch((error: unknown) => this.failures.warn('settling an outbox batch failed (its leases expire and the rows are published again)', error))
        .finally(() => {
          this.batches.delete(batch);
          this.wake();
        });
      this.batches.add(batch);
    }
  }

  private async relayBatch(rows: OutboxRow[]): Promise<void> {
    const { options } = this.database.get();
    const outcome = await publishBatch(rows, (row) => this.publishRow(row));
    if (outcome.confirmed.length > 0) {
      options.onConfirmed?.(outcome.confirmed.map((row) => row.messageId));
    }
    await this.settle(outcome);
  }

  private async publishRow(row: OutboxRow): Promise<RowPublish> {
    if (!this.brokerUsable()) {
      return { kind: 'unavailable' };
    }
    try {
      const routed = await this.publisher.publishEncoded(row.exchange, row.routingKey, row.body, row.properties);
      if (!routed) {
        return { kind: 'failed', reason: `unroutable: no queue is bound for routing key '${row.routingKey}' on exchange '${row.exchange}'` };
      }
      this.metrics.commitToConfirm.observe((row.ageMs + performance.now() - row.claimedAt) / 1000);
      return { kind: 'confirmed' };
    } catch (error) {
      const result = classifyPublishFailure(error, this.brokerUsable());
      if (result.kind === 'unavailable') {
        this.unavailableUntil = performance.now() + this.database.get().options.pollMs;
      }
      return result;
    }
  }

  /** Deletes the confirmed rows, then retries or buries the failed ones, then releases the rest (a key's failed row first, so it keeps blocking its followers). */
  private async settle({ confirmed, failed, released }: BatchOutcome): Promise<void> {
    const { options } = this.database.get();
    const store = this.store!;
    const deleted = await store.delete(
      this.owner,
      confirmed.map((row) => row.seq),
    );
    this.metrics.published.inc(confirmed.length);
    if (deleted < confirmed.length) {
      this.metrics.leaseLost.inc(confirmed.length - deleted);
      this.logger.warn(
        `${confirmed.length - deleted} outbox rows were published after this relay's lease had expired and another relay re-claimed them: ` +
          `they are published twice (raise outbox.leaseMs above the publish timeout)`,
      );
    }
    for (const { row, reason } of failed) {
      if (row.attempts + 1 >= options.maxAttempts) {
        if (await store.bury(this.owner, row.seq, reason)) {
          this.metrics.dead.inc();
          this.logger.error(
            `outbox row ${row.messageId} (${row.routingKey}) moved to warren_outbox_dead after ${row.attempts + 1} attempts: ${reason}`,
          );
        }
      } else if (await store.retry(this.owner, row.seq, reason, { baseMs: options.retryBaseMs, maxMs: options.retryMaxMs })) {
        this.metrics.retried.inc();
      }
    }
    await store.release(
      this.owner,
      released.map((row) => row.seq),
    );
  }

  /** False while the broker is unreachable, blocking publishers, or refusing our topology: the relay then waits. */
  private brokerUsable(): boolean {
    const state = this.connections.state('publisher');
    return state.connected && !state.blocked && !this.connections.topologyConflict('publisher') && !this.publisher.status().closed;
  }

  private async idle(ms: number): Promise<void> {
    if (!this.woken) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = undefined;
    }
    this.woken = false;
  }

  private async countBacklog(): Promise<void> {
    if (!this.database.schemaReady) {
      return;
    }
    try {
      this.lastBacklog = await this.store!.backlog();
    } catch (error) {
      this.failures.warn('counting the outbox backlog failed', error);
    }
  }
}
