import { type BeforeApplicationShutdown, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { redactText } from '../logging/redact-url.js';
import { OutboxMetrics } from '../metrics/outbox-metrics.js';
import type { RabbitContext } from '../context/rabbit-context.js';
import { OutboxDatabase } from './outbox-database.js';
import { INBOX_PRUNE_LOCK, WARREN_LOCK_CLASS } from './outbox-locks.js';
import type { SqlExecutor } from './sql-executor.js';

/** Rows one prune statement deletes: short transactions, no long lock on the table. */
const PRUNE_BATCH = 5_000;

/**
 * The consumer side: a handler that writes to PostgreSQL runs its effects once per message id
 * and handler queue. `claim(tx, ctx)` inserts (messageId, queue) inside the handler's transaction
 * and returns false when that message was already processed here, so the handler returns
 * without effects and the delivery is acked:
 *
 *   if (!(await inbox.claim(tx, ctx))) return; // a duplicate
 *
 * A transaction that rolls back takes its inbox row with it, so a failed attempt is retried
 * in full. Rows older than `inboxRetentionMs` are pruned in batches by one replica at a time.
 */
@Injectable()
export class Inbox implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(Inbox.name);
  private timer?: NodeJS.Timeout;
  private pruning?: Promise<number>;

  constructor(
    private readonly database: OutboxDatabase,
    private readonly metrics: OutboxMetrics,
  ) {}

  /** True the first time this message id is claimed for this queue (run the effects), false for a duplicate. */
  async claim(tx: SqlExecutor, ctx: RabbitContext | { messageId: string; queue: string }): Promise<boolean> {
    this.database.get();
    const { messageId, queue } = 'getMessageId' in ctx ? { messageId: ctx.getMessageId(), queue: ctx.getQueue() } : ctx;
    const result = await tx.query('INSERT INTO warren_inbox (message_id, queue) VALUES ($1, $2) ON CONFLICT DO NOTHING', [messageId, queue]);
    if (result.rowCount === 1) {
      return true;
    }
    this.metrics.inboxDuplicates.labels(queue).inc();
    return false;
  }

  onApplicationBootstrap(): void {
    if (!this.database.enabled) {
      return;
    }
    // Pruning more often than hourly only helps retentions shorter than an hour (tests).
    const every = Math.min(3_600_000, Math.max(1_000, Math.floor(this.database.get().options.inboxRetentionMs / 10)));
    this.timer = setInterval(() => {
      if (!this.database.schemaReady) return; // PostgreSQL unreachable since the start: no table to prune yet
      this.pruning ??= this.prune()
        .catch((error: unknown) => {
          this.logger.warn(`pruning the inbox failed (next try in ${every} ms): ${redactText(String(error))}`);
          return 0;
        })
        .finally(() => (this.pruning = undefined));
    }, every).unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.pruning;
  }

  /**
   * Deletes inbox rows older than `inboxRetentionMs`, PRUNE_BATCH at a time, if no other replica
   * is pruning (a session try-lock on a connection of its own). Returns the rows deleted.
   */
  async prune(): Promise<number> {
    const { pool, options } = this.database.get();
    const client = await pool.connect();
    let healthy = false;
    try {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', [
        WARREN_LOCK_CLASS,
        INBOX_PRUNE_LOCK,
      ]);
      if (!rows[0]?.locked) {
        healthy = true;
        return 0;
      }
      let total = 0;
      try {
        for (;;) {
          const result = await client.query(
            `DELETE FROM warren_inbox WHERE ctid IN (
               SELECT ctid FROM warren_inbox WHERE processed_at < now() - $1 * interval '1 millisecond' LIMIT $2)`,
            [options.inboxRetentionMs, PRUNE_BATCH],
          );
          total += result.rowCount ?? 0;
          if ((result.rowCount ?? 0) < PRUNE_BATCH) break;
        }
      } finally {
        await client.query('SELECT pg_advisory_unlock($1, $2)', [WARREN_LOCK_CLASS, INBOX_PRUNE_LOCK]);
      }
      healthy = true;
      return total;
    } finally {
      client.release(!healthy);
    }
  }
}
