import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import pg from 'pg';
import { redactText } from '../connection/redact-url.js';
import { OutboxNotConfiguredError } from '../errors/outbox.errors.js';
import type { ResolvedOutboxOptions } from '../options/rabbitmq-options.interface.js';
import type { ResolvedRabbitMQOptions } from '../options/rabbitmq-options.interface.js';
import { RABBITMQ_RESOLVED_OPTIONS } from '../rabbitmq.constants.js';
import { runMigrations } from './outbox-migrations.js';
import { SchemaMigrator } from './schema-migrator.js';

/**
 * The outbox's PostgreSQL: the app's pool, or one opened from a connection string (and ended at
 * shutdown). The schema is migrated before the app starts (onModuleInit), so the first request
 * finds its tables — or, when PostgreSQL is unreachable then, as soon as it answers (`schemaReady`
 * until then false: the relay waits, `Outbox.publish` refuses with OutboxUnavailableError).
 */
@Injectable()
export class OutboxDatabase implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxDatabase.name);
  private readonly configured?: { pool: pg.Pool; options: ResolvedOutboxOptions; owned: boolean };
  private readonly migrator?: SchemaMigrator;

  constructor(@Inject(RABBITMQ_RESOLVED_OPTIONS) options: ResolvedRabbitMQOptions) {
    const outbox = options.outbox;
    if (!outbox) {
      return;
    }
    const owned = typeof outbox.database === 'string';
    const pool = typeof outbox.database === 'string' ? new pg.Pool({ connectionString: outbox.database }) : outbox.database;
    if (owned) {
      // A connection cut by the server (a restart, pg_terminate_backend) or the network emits 'error'; unheard, that
      // crashes the process. pg-pool listens on idle clients only ('error' on the pool): a checked-out client (a
      // transaction between two statements, the migration's advisory lock) needs its own listener. The statement
      // that uses it next fails instead, and the connection is discarded on release; the next query reconnects.
      pool.on('error', (error) => this.logger.warn(`an idle PostgreSQL connection failed: ${redactText(error.message)}`));
      pool.on('connect', (client) =>
        client.on('error', (error) => this.logger.warn(`a PostgreSQL connection in use failed: ${redactText(error.message)}`)),
      );
    }
    this.configured = { pool, options: outbox, owned };
    this.migrator = new SchemaMigrator('outbox schema', () => runMigrations(pool), this.logger);
  }

  /** True once the outbox's tables are migrated (false while PostgreSQL has been unreachable since the start). */
  get schemaReady(): boolean {
    return this.migrator?.ready ?? false;
  }

  get enabled(): boolean {
    return this.configured !== undefined;
  }

  /** The pool and options; throws OutboxNotConfiguredError when the module has no `outbox` option. */
  get(): { pool: pg.Pool; options: ResolvedOutboxOptions } {
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

  async onApplicationShutdown(): Promise<void> {
    this.migrator?.stop();
    if (this.configured?.owned) {
      await this.configured.pool.end();
    }
  }
}
