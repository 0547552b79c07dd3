import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { runMigrations } from '../src/rabbitmq/outbox/outbox-migrations.js';
import { MIGRATIONS } from '../src/rabbitmq/outbox/outbox-schema.js';
import { TestDatabase } from './support/test-database.js';

describe('outbox schema migrations', () => {
  let database: TestDatabase;
  const pools: pg.Pool[] = [];

  beforeAll(async () => {
    database = await TestDatabase.create();
  });

  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.end()));
    await database.drop();
  });

  it('applies each migration once when three replicas start at the same moment, and nothing on a later start', async () => {
    // Three pools: three replicas, each with connections of its own.
    pools.push(database.pool(2), database.pool(2), database.pool(2));
    const applied = await Promise.all(pools.map((pool) => runMigrations(pool)));

    expect(applied.flat().sort()).toEqual(MIGRATIONS.map((m) => m.version));
    const { rows } = await pools[0].query<{ version: number }>('SELECT version FROM warren_schema_migrations ORDER BY version');
    expect(rows.map((row) => row.version)).toEqual(MIGRATIONS.map((m) => m.version));
    const tables = await pools[0].query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE tablename LIKE 'warren_%' ORDER BY tablename");
    expect(tables.rows.map((row) => row.tablename)).toEqual(['warren_inbox', 'warren_outbox', 'warren_outbox_dead', 'warren_schema_migrations']);

    expect(await runMigrations(pools[1])).toEqual([]);
  });

  it('rolls back a failing migration whole and names it', async () => {
    const broken = [{ version: 999, name: 'broken on purpose', sql: 'CREATE TABLE warren_half (id int); SELECT no_such_function()' }];
    await expect(runMigrations(pools[0], broken)).rejects.toThrow(/migration 999 \(broken on purpose\) failed/);
    const half = await pools[0].query("SELECT 1 FROM pg_tables WHERE tablename = 'warren_half'");
    expect(half.rowCount).toBe(0);
  });
});
