import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Pool } from 'pg';
import { SchemaMigrator } from '../rabbitmq/admin.js';
import { migrateDemoSchema } from './demo-migrations.js';
import { DatabaseUnavailableError } from './database-unavailable.error.js';

/** Injection token of the service's pg.Pool (also the outbox's). */
export const DATABASE_POOL = Symbol('DATABASE_POOL');

/**
 * The service's PostgreSQL: migrated before the app serves — or, when PostgreSQL is unreachable at
 * start, as soon as it answers (the service starts anyway: readiness down, orders refused with 503
 * until then) —, ended after the outbox relay stopped (it stops before shutdown).
 */
@Injectable()
export class AppDatabase implements OnModuleInit, OnApplicationShutdown {
  private readonly migrator: SchemaMigrator;

  constructor(@Inject(DATABASE_POOL) readonly pool: Pool) {
    this.migrator = new SchemaMigrator('demo schema', () => migrateDemoSchema(pool), new Logger(AppDatabase.name));
  }

  /** True once the demo's tables are migrated. */
  get schemaReady(): boolean {
    return this.migrator.ready;
  }

  /** Throws DatabaseUnavailableError (503) while the tables are not migrated yet: a query would fail on a missing table. */
  requireSchema(): void {
    if (!this.migrator.ready) {
      throw new DatabaseUnavailableError('the database schema is not migrated yet: PostgreSQL has been unreachable since the service started');
    }
  }

  async onModuleInit(): Promise<void> {
    await this.migrator.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.migrator.stop();
    // An app closed twice (tests do) must not end the pool twice: pg throws then.
    if (!this.pool.ended) {
      await this.pool.end();
    }
  }
}
