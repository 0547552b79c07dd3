import type { OutboxOptions, ResolvedOutboxOptions } from './outbox-options.js';
import type { RABBITMQ_DEFAULTS } from './rabbitmq-defaults.js';

export type { QueueType, TlsOptions } from './rabbitmq-defaults.js';

/** Every option with a default; each is documented (meaning, default, why) in RABBITMQ_DEFAULTS. */
type Defaults = typeof RABBITMQ_DEFAULTS;

/** Pauses a queue whose handler keeps failing (RABBITMQ_DEFAULTS.killSwitch). */
export type KillSwitchOptions = Partial<Defaults['killSwitch']>;

/**
 * Options of RabbitMQModule.forRoot / forRootAsync. Only `urls` and `serviceName` are required;
 * every other option falls back to RABBITMQ_DEFAULTS (rabbitmq-defaults.ts), where it is documented.
 */
export interface RabbitMQModuleOptions extends Partial<Omit<Defaults, 'killSwitch'>> {
  /** Broker URLs, tried in turn (cluster nodes). Credentials are never logged. */
  urls: string[];
  /** Name of this service: prefix of its queue names and of its connection names. */
  serviceName: string;
  killSwitch?: KillSwitchOptions;
  /**
   * The transactional outbox and inbox on PostgreSQL (`Outbox`, `Inbox`, a relay in every
   * replica; docs/outbox.md). Absent: no database is used. Its defaults: outbox-options.ts.
   */
  outbox?: OutboxOptions;
}

/** Options after the defaults are spread under them and checked (resolve-options.ts). */
export type ResolvedRabbitMQOptions = Omit<Defaults, 'memoryHighWatermarkBytes' | 'memoryLowWatermarkBytes' | 'memoryMeasure'> & {
  urls: string[];
  serviceName: string;
  /** Derived from the memory limit when not given. */
  memoryHighWatermarkBytes: number;
  memoryLowWatermarkBytes: number;
  memoryMeasure: NonNullable<Defaults['memoryMeasure']>;
  outbox?: ResolvedOutboxOptions;
};
