import type { Pool } from 'pg';
import type { MemoryMeasure } from '../flow/memory-limit.js';
import type { RABBITMQ_DEFAULTS } from './rabbitmq-defaults.js';

export type { QueueType, TlsOptions } from './rabbitmq-defaults.js';

/** Every option with a default; each is documented (meaning, default, why) in RABBITMQ_DEFAULTS. */
type Defaults = typeof RABBITMQ_DEFAULTS;

/** What may be given of options with defaults: any of them, a group in part; a list is given whole. */
export type Given<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: Given<T[K]> } : T;

/** Pauses a queue whose handler keeps failing (RABBITMQ_DEFAULTS.consume.killSwitch). */
export type KillSwitchOptions = Given<Defaults['consume']['killSwitch']>;

/** What the outbox needs besides its defaults (RABBITMQ_DEFAULTS.outbox). */
interface OutboxRequired {
  /**
   * The database: a `pg.Pool` the app owns (and ends), or a connection string, for which the
   * module opens and ends a pool of its own. The tables are created or migrated at start.
   */
  database: Pool | string;
  /**
   * Called after the broker confirmed rows and before they are deleted: for tests that kill the
   * relay exactly there (the rows are published again after their lease expires).
   */
  onConfirmed?: (messageIds: readonly string[]) => void;
}

/** The transactional outbox and inbox on PostgreSQL (docs/outbox.md); defaults in RABBITMQ_DEFAULTS.outbox. */
export type OutboxOptions = Given<Defaults['outbox']> & OutboxRequired;
export type ResolvedOutboxOptions = Defaults['outbox'] & OutboxRequired;

/**
 * Options of RabbitMQModule.forRoot / forRootAsync. Only `urls` and `serviceName` are required;
 * every other option falls back to RABBITMQ_DEFAULTS (rabbitmq-defaults.ts), where it is documented.
 */
export interface RabbitMQModuleOptions extends Given<Omit<Defaults, 'outbox'>> {
  /** Broker URLs, tried in turn (cluster nodes). Credentials are never logged. */
  urls: string[];
  /** Name of this service: prefix of its queue names and of its connection names. */
  serviceName: string;
  /** The transactional outbox and inbox (RABBITMQ_DEFAULTS.outbox). Absent: no database is used. */
  outbox?: OutboxOptions;
}

/** Options after the defaults are spread under them and checked (resolve-options.ts). */
export type ResolvedRabbitMQOptions = Omit<Defaults, 'flow' | 'outbox'> & {
  urls: string[];
  serviceName: string;
  flow: Omit<Defaults['flow'], 'memoryHighWatermarkBytes' | 'memoryLowWatermarkBytes' | 'memoryMeasure'> & {
    /** Derived from the memory limit when not given. */
    memoryHighWatermarkBytes: number;
    memoryLowWatermarkBytes: number;
    memoryMeasure: MemoryMeasure;
  };
  outbox?: ResolvedOutboxOptions;
};
