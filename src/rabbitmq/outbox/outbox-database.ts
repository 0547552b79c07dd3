import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import pg from 'pg';
import { redactText } from '../logging/redact-url.js';
import { OutboxNotConfiguredError } from '../errors/outbox.errors.js';
import type { ResolvedOutboxOptions } from '../options/rabbitmq-options.interface.js';
import type { ResolvedRabbitMQOptions } from '../options/rabbitmq-options.interface.js';
import { RABBITMQ_RESOLVED_OPTIONS } from '../rabbitmq.constants.js';
import { runMigrations } from './outbox-migrations.js';
import { SchemaMigrator } from './schema-migrator.js';

/**
 * The relay's own connections. Claims and deletes on the app's pool waited for a connection behind the app's
 * transactions: under 50 concurrent POSTs, 22 ms of a 30 ms claim, which every event's commit-to-confirm time paid.
 */
const RELAY_CONNECTIONS = 2;
/** How the relay's connections are named in pg_stat_activity. */
export const RELAY_APPLICATION_NAME = 'warren-outbox-relay';

/**
 * The outbox's PostgreSQL: the app's pool, or one opened from a connection string (and ended at
 * shutdown), and, where this replica relays, a pool of RELAY_CONNECTIONS for the relay, opened with
 * the same settings. The schema is migrated before the app starts (onModuleInit), so the first request
 * finds its tables — or, when PostgreSQL is unreachable then, as soon as it answers (`schemaReady`
 * until then false: the relay waits, `Outbox.publish` refuses with OutboxUnavailableError).
 */
@Injectable()
export class OutboxDatabase implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxDatabase.name);
  private readonly configured?: { pool: pg.Pool; relayPool?: pg.Pool; options: ResolvedOutboxOptions; owned: boolean };
  private readonly migrator?: SchemaMigrator;

  constructor(@Inject(RABBITMQ_RESOLVED_OPTIONS) options: ResolvedRabbitMQOptions) {
    const outbox = options.outbox;
    if (!outbox) {
      return;
    }
    const owned = typeof outbox.database === 'string';
    const pool = typeof outbox.database === 'string' ? new pg.Pool({ connectionString: outbox.database }) : outbox.database;
    if (owned) {
      this.reportErrors(pool);
    }
    const relayPool = outbox.relay
      ? this.reportErrors(new pg.Pool({ ...pool.options, max: RELAY_CONNECTIONS, application_name: RELAY_APPLICATION_NAME }))
      : undefined;
    this.configured = { pool, relayPool, options: outbox, owned };
    this.migrator = new SchemaMigrator('outbox schema', () => runMigrations(pool), this.logger);
  }

  /** True once the outbox's tables are migrated (false while PostgreSQL has been unreachable since the start). */
  get schemaReady(): boolean {
    return this.migrator?.ready ?? false;
  }

  get enabled(): boolean {
    return this.configured !== undefined;
  }

  /**
   * The pool, the relay's pool (where this replica relays) and the options; throws OutboxNotConfiguredError when the
   * module has no `outbox` option.
   */
  get(): { pool: pg.Pool; relayPool?: pg.Pool; options: ResolvedOutboxOptions } {
    if (!this.configured) {
      throw new OutboxNotConfiguredError('the outbox is not configured: pass outbox: { database } to RabbitMQModule.forRoot');
    }
    return this.configured;
  }

  async onModuleInit(): Promise<void> {
    if (!this.configured) {
      return;
    }
    await this.migrator!.start();
  }

  /** After the relay released its leases (beforeApplicationShutdown). */
  async onApplicationShutdown(): Promise<void> {
    this.migrator?.stop();
    await this.configured?.relayPool?.end();
    if (this.configured?.owned) {
      await this.configured.pool.end();
    }
  }

  /**
   * A connection cut by the server (a restart, pg_terminate_backend) or the network emits 'error'; unheard, that
   * crashes the process. pg-pool listens on idle clients only ('error' on the pool): a checked-out client (a
   * transaction between two statements, the migration's advisory lock) needs its own listener. The statement
   * that uses it next fails instead, and the connection is discarded on release; the next query reconnects.
   * Only for pools opened here: an app's own pool is the app's to listen on.
   */
  private reportErrors(pool: pg.Pool): pg.Pool {
    pool.on('error', (error) => this.logger.warn(`an idle PostgreSQL connection failed: ${redactText(error.message)}`));
    pool.on('connect', (client) =>
      client.on('error', (error) => this.logger.warn(`a PostgreSQL connection in use failed: ${redactText(error.message)}`)),
    );
    return pool;
  }
}
