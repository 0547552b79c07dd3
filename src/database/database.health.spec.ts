import { describe, expect, it } from '@jest/globals';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { OutboxRelay } from '../rabbitmq/admin.js';
import type { AppDatabase } from './app-database.js';
import { DatabaseHealthIndicator } from './database.health.js';

/** PostgreSQL answering, with the demo's and the outbox's tables migrated or not. */
function indicator(demoMigrated: boolean, outboxMigrated: boolean): DatabaseHealthIndicator {
  const database = { schemaReady: demoMigrated, pool: { query: () => Promise.resolve({ rows: [{ '?column?': 1 }] }) } } as unknown as AppDatabase;
  const relay = { schemaReady: outboxMigrated, backlog: { pending: 3, oldestAgeMs: 2_400 } } as unknown as OutboxRelay;
  return new DatabaseHealthIndicator(new HealthIndicatorService(), database, relay);
}

describe('DatabaseHealthIndicator', () => {
  it('is up with the outbox backlog once both schemas are migrated', async () => {
    expect(await indicator(true, true).isReady()).toEqual({ database: { status: 'up', outbox: { pending: 3, oldestPendingSeconds: 2 } } });
  });

  it.each([
    ['the demo', false, true],
    ['the outbox', true, false],
  ])('is down while %s schema is not migrated yet (an order would be refused)', async (_which, demo, outbox) => {
    expect(await indicator(demo, outbox).isReady()).toEqual({
      database: {
        status: 'down',
        outbox: { pending: 3, oldestPendingSeconds: 2 },
        reasons: ['the database schema is not migrated yet (PostgreSQL was unreachable at start; retrying)'],
      },
    });
  });
});
