import type { Pool } from 'pg';
import { InvalidRabbitMQOptionsError } from '../errors/invalid-options.error.js';
import { MAX_TIMER_MS } from '../rabbitmq.constants.js';

/** The transactional outbox and inbox on PostgreSQL (docs/outbox.md). */
export interface OutboxOptions {
  /**
   * The database: a `pg.Pool` the app owns (and ends), or a connection string, for which the
   * module opens and ends a pool of its own. The tables are created or migrated at start.
   */
  database: Pool | string;
  /**
   * Rows one claim takes. Every claimed row is published at once (rows of one key one after the
   * other), so it also bounds this relay's publishes waiting for confirms.
   * @default 200
   */
  batchSize?: number;
  /**
   * How long a claimed row is this relay's: another replica re-claims (and publishes again) a row
   * whose lease has expired, e.g. after a crash. Keep it well above `publishTimeoutMs`.
   * @default 30000
   */
  leaseMs?: number;
  /**
   * The relay looks for rows at least this often (a local commit through `Outbox.transaction` wakes it at once).
   * @default 500
   */
  pollMs?: number;
  /**
   * Attempts of a row that cannot be published (unroutable, nacked, too large) before it moves to `warren_outbox_dead`.
   * @default 10
   */
  maxAttempts?: number;
  /**
   * Delay before a failed row's second attempt, doubling per attempt up to `retryMaxMs`.
   * @default 1000
   */
  retryBaseMs?: number;
  /** @default 300000 */
  retryMaxMs?: number;
  /**
   * Inbox rows older than this are pruned (a redelivery after it would run its effects again).
   * @default 604800000 (7 days)
   */
  inboxRetentionMs?: number;
  /**
   * High watermark of pending rows: above it `Outbox.publish` refuses with OutboxFullError (503).
   * Read from the relay's count (at most a second old), not counted per call.
   * @default 1000000
   */
  maxPending?: number;
  /**
   * High watermark of the oldest pending row's age, in ms: above it `Outbox.publish` refuses too.
   * @default 3600000 (1 hour)
   */
  maxPendingAgeMs?: number;
  /**
   * Set false for a replica that writes the outbox but never relays it.
   * @default true
   */
  relay?: boolean;
  /**
   * Called after the broker confirmed rows and before they are deleted: for tests that kill the
   * relay exactly there (the rows are published again after their lease expires).
   */
  onConfirmed?: (messageIds: readonly string[]) => void;
}

export type ResolvedOutboxOptions = Required<Omit<OutboxOptions, 'onConfirmed'>> & Pick<OutboxOptions, 'onConfirmed'>;

const DEFAULTS = {
  batchSize: 200,
  leaseMs: 30_000,
  pollMs: 500,
  maxAttempts: 10,
  retryBaseMs: 1_000,
  retryMaxMs: 300_000,
  inboxRetentionMs: 7 * 24 * 3600 * 1000,
  maxPending: 1_000_000,
  maxPendingAgeMs: 3_600_000,
  relay: true,
} as const;

/** Highest `pollMs`: the relay must find a row written by another replica within half a second. */
const MAX_POLL_MS = 500;

/** Merges defaults and validates; every message names the offending option. */
export function resolveOutboxOptions(options: OutboxOptions): ResolvedOutboxOptions {
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as OutboxOptions;
  const resolved: ResolvedOutboxOptions = { ...DEFAULTS, ...given };
  const database = resolved.database as unknown;
  if (typeof database === 'string' ? !/^postgres(ql)?:\/\//.test(database) : typeof (database as Pool | null)?.connect !== 'function') {
    throw new InvalidRabbitMQOptionsError('outbox.database must be a pg Pool or a postgres:// connection string');
  }
  const bounds: [keyof ResolvedOutboxOptions, number, number][] = [
    ['batchSize', 1, 10_000],
    ['leaseMs', 1_000, MAX_TIMER_MS],
    ['pollMs', 1, MAX_POLL_MS],
    ['maxAttempts', 1, 1_000],
    ['retryBaseMs', 1, MAX_TIMER_MS],
    ['retryMaxMs', resolved.retryBaseMs, MAX_TIMER_MS],
    ['inboxRetentionMs', 1_000, Number.MAX_SAFE_INTEGER],
    ['maxPending', 1, Number.MAX_SAFE_INTEGER],
    ['maxPendingAgeMs', 1_000, Number.MAX_SAFE_INTEGER],
  ];
  for (const [name, min, max] of bounds) {
    const value = resolved[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new InvalidRabbitMQOptionsError(`outbox.${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value) ?? 'nothing'}`);
    }
  }
  if (typeof resolved.relay !== 'boolean') {
    throw new InvalidRabbitMQOptionsError(`outbox.relay must be true or false, got ${String(resolved.relay)}`);
  }
  return resolved;
}
