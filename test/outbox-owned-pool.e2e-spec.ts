import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import type pg from 'pg';
import { OutboxDatabase } from '../src/rabbitmq/outbox/outbox-database.js';
import { uniqueNames } from './support/broker.js';
import { removeTopology } from './support/demo-app.js';
import { startOutboxApp } from './support/outbox-app.js';
import { TestDatabase } from './support/test-database.js';
import { waitFor } from './support/wait-for.js';

/**
 * The pool the outbox opens itself from a connection string: a PostgreSQL restart (here: its
 * backend terminated, in the test's own database only) cuts its connections, idle or checked out.
 * Each then emits 'error'; unheard, that is an uncaught exception and the process dies.
 */
describe('outbox: a pool opened from a connection string survives its connections being cut', () => {
  const names = uniqueNames('outbox-owned-pool');
  let database: TestDatabase;
  let admin: pg.Pool;
  let app: INestApplication;
  let pool: pg.Pool;

  beforeAll(async () => {
    database = await TestDatabase.create();
    admin = database.pool(1);
    app = await startOutboxApp(names, database.url, { relay: false });
    pool = app.get(OutboxDatabase).get().pool;
  });

  afterAll(async () => {
    await app?.close();
    await admin?.end();
    await removeTopology(names.exchange, []);
    await database?.drop();
  });

  /** Terminates the backend serving `client`, on the test's own database. */
  async function terminate(client: pg.PoolClient): Promise<void> {
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const { rows: killed } = await admin.query<{ ok: boolean }>(
      'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE pid = $1 AND datname = current_database()',
      [rows[0].pid],
    );
    expect(killed).toEqual([{ ok: true }]);
  }

  it('a checked-out connection cut between two statements: the next statement fails, the process lives, the pool reconnects', async () => {
    const client = await pool.connect();
    await client.query('BEGIN');
    await terminate(client);
    // The server's FATAL arrives while no query runs: the client emits 'error' (and marks itself unusable).
    await waitFor('the client to see its connection cut', () => (client as unknown as { _queryable: boolean })._queryable === false);
    await expect(client.query('SELECT 1')).rejects.toThrow();
    client.release(true);
    expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('an idle connection cut: the pool drops it, the process lives, the next query reconnects', async () => {
    const client = await pool.connect();
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    client.release();
    await admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
    await waitFor('the pool to drop the cut connection', () => pool.idleCount === 0 && pool.totalCount === 0);
    expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });
});
