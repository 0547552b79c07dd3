import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import pg from 'pg';
import { redactText } from '../connection/redact-url.js';
import { OutboxNotConfiguredError } from '../errors/outbox.errors.js';
import type { ResolvedOutboxOptions } from '../options/rabbitmq-options.interface.js';
import type { ResolvedRabbitMQOptions } from '../options/rabbitmq-options.interface.js';
import { RABBITMQ_RESOLVED_OPTIONS } from '../rabbitmq.constants.js';
import { runMigrations } from './outbox-migrations.js';

/**
 * The outbox's PostgreSQL: the app's pool, or one opened from a connection string (and ended at
 * shutdown). The schema is migrated before the app starts (onModuleInit), so the first request
 * finds its tables.
 */
@Injectable()
export class OutboxDatabase implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxDatabase.name);
  private readonly configured?: { pool: pg.Pool; options: ResolvedOutboxOptions; owned: boolean };

  constructor(@Inject(RABBITMQ_RESOLVED_OPTIONS) options: ResolvedRabbitMQOptions) {
    const outbox = options.outbox;
    if (!outbox) {
      return;
    }
    const owned = typeof outbox.database === 'string';
    const pool = typeof outbox.database === 'string' ? new pg.Pool({ connectionString: outbox.database }) : outbox.database;
    if (owned) {
      // An idle connection cut by the server must not crash the process; the next query reconnects.
      pool.on('error', (error) => this.logger.warn(`an idle PostgreSQL connection failed: ${redactText(error.message)}`));
    }
    this.configured = { pool, options: outbox, owned };
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
    const applied = await runMigrations(this.configured.pool);
    if (applied.length > 0) {
      this.logger.log(`outbox schema migrated (versions ${applied.join(', ')})`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.configured?.owned) {
      await this.configured.pool.end();
    }
  }
}
