import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { Pool } from 'pg';
import { AppDatabase, DATABASE_POOL } from './app-database.js';

/** The service's PostgreSQL pool (the one RabbitMQModule's outbox uses too), for every module. */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(pool: Pool): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [{ provide: DATABASE_POOL, useValue: pool }, AppDatabase],
      exports: [AppDatabase],
    };
  }
}
