import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Pool } from 'pg';
import { migrateDemoSchema } from './demo-migrations.js';

/** Injection token of the service's pg.Pool (also the outbox's). */
export const DATABASE_POOL = Symbol('DATABASE_POOL');

/** The service's PostgreSQL: migrated before the app serves, ended after the outbox relay stopped (it stops before shutdown). */
@Injectable()
export class AppDatabase implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(AppDatabase.name);

  constructor(@Inject(DATABASE_POOL) readonly pool: Pool) {}

  async onModuleInit(): Promise<void> {
    const applied = await migrateDemoSchema(this.pool);
    if (applied.length > 0) {
      this.logger.log(`demo schema migrated (versions ${applied.join(', ')})`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    // An app closed twice (tests do) must not end the pool twice: pg throws then.
    if (!this.pool.ended) {
      await this.pool.end();
    }
  }
}
