import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { runMigrations } from '../src/rabbitmq/outbox/outbox-migrations.js';
import { runDlqCli } from './support/dlq-cli.js';
import { TestDatabase } from './support/test-database.js';

/** What a reason or routing key written raw would do to a terminal: clear it, retitle it, forge a line, reorder it. */
const HOSTILE = '\u001b[2J\u001b]0;all published\u0007\n  reason: none\u202e';
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** `npm run dlq -- outbox` and `outbox-requeue` against a real warren_outbox_dead, run as operators run the compiled CLI. */
describe('dlq CLI: the outbox dead rows', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  const hostileId = randomUUID();
  const plainId = randomUUID();

  beforeAll(async () => {
    database = await TestDatabase.create();
    pool = database.pool(2);
    await runMigrations(pool);
    const insert = `INSERT INTO warren_outbox_dead (seq, message_id, exchange, routing_key, partition_key, body, properties, created_at, attempts, last_error, reason)
      VALUES ($1, $2, 'events', $3, $4, '\\x7b7d', $5::jsonb, now() - interval '1 hour', 10, $6, $6)`;
    await pool.query(insert, [
      1,
      hostileId,
      `order.created${HOSTILE}`,
      `o-1${HOSTILE}`,
      JSON.stringify({ messageId: hostileId }),
      `unroutable${HOSTILE}`,
    ]);
    await pool.query(insert, [2, plainId, 'order.created', null, JSON.stringify({ messageId: plainId, contentType: 'application/json' }), 'nacked']);
  });

  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  it('lists each dead row with its routing key, key, attempts, dead-since and reason, escaped for the terminal', async () => {
    const result = await runDlqCli(['outbox'], { DATABASE_URL: database.url });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^warren_outbox_dead: showing 2 of 2 dead outbox row\(s\)/);
    expect(result.stdout).toContain(`messageId: ${hostileId}`);
    expect(result.stdout).toContain(`messageId: ${plainId}`);
    expect(result.stdout).toContain('  attempts: 10');
    expect(result.stdout).toMatch(/ {2}dead since: \d{4}-\d\d-\d\dT[\d:.]+Z \(written /);
    expect(result.stdout).toContain('  reason: unroutable\\u001b[2J\\u001b]0;all published\\u0007\\n  reason: none\\u202e');
    expect(result.stdout).toContain('  key: o-1\\u001b[2J');
    expect(result.stdout).not.toMatch(RAW_CONTROL);
    // The forged "reason: none" stays inside the escaped value: one reason line per row.
    expect(result.stdout.split('\n').filter((line) => line.startsWith('  reason:'))).toHaveLength(2);

    const limited = await runDlqCli(['outbox', '--limit', '1'], { DATABASE_URL: database.url });
    expect(limited.stdout).toMatch(/^warren_outbox_dead: showing 1 of 2/);
  });

  it('requeues one dead row into the outbox with its attempts reset, and says when there is no such row', async () => {
    const result = await runDlqCli(['outbox-requeue', plainId], { DATABASE_URL: database.url });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(`requeued ${plainId}`);
    const { rows } = await pool.query<{ attempts: number; due: boolean; lease_owner: string | null; properties: unknown; fresh: boolean }>(
      `SELECT attempts, next_attempt_at <= now() AS due, lease_owner, properties, created_at > now() - interval '1 minute' AS fresh
       FROM warren_outbox WHERE message_id = $1`,
      [plainId],
    );
    expect(rows).toEqual([
      { attempts: 0, due: true, lease_owner: null, properties: { messageId: plainId, contentType: 'application/json' }, fresh: true },
    ]);
    expect((await pool.query('SELECT 1 FROM warren_outbox_dead WHERE message_id = $1', [plainId])).rowCount).toBe(0);

    const again = await runDlqCli(['outbox-requeue', plainId], { DATABASE_URL: database.url });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`no dead outbox row has message id ${plainId}`);
  });

  it('says DATABASE_URL is not set instead of guessing a database, and exits 2', async () => {
    const result = await runDlqCli(['outbox'], { DATABASE_URL: '' });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('DATABASE_URL is not set');
  });

  it('fails in one line, without the URL, when the database cannot be reached', async () => {
    const result = await runDlqCli(['outbox'], { DATABASE_URL: 'postgres://ops:s3cretPass@127.0.0.1:1/warren' });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^dlq: .*ECONNREFUSED/);
    expect(result.stderr).not.toContain('s3cretPass');
  });
});
