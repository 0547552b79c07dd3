import type { Pool } from 'pg';
import { MIGRATION_LOCK, WARREN_LOCK_CLASS } from './outbox-locks.js';
import { type Migration, MIGRATIONS } from './outbox-schema.js';

/**
 * Applies the migrations not yet in `warren_schema_migrations`, each in its own transaction,
 * under a session advisory lock: replicas starting at once wait for each other, and each finds
 * the work done by the first. Idempotent. Returns the versions this call applied.
 */
export async function runMigrations(pool: Pool, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const client = await pool.connect();
  let failed = false;
  try {
    await client.query('SELECT pg_advisory_lock($1, $2)', [WARREN_LOCK_CLASS, MIGRATION_LOCK]);
    try {
      await client.query(
        'CREATE TABLE IF NOT EXISTS warren_schema_migrations (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
      );
      const { rows } = await client.query<{ version: number }>('SELECT version FROM warren_schema_migrations');
      const done = new Set(rows.map((row) => row.version));
      const applied: number[] = [];
      for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
        if (done.has(migration.version)) {
          continue;
        }
        await client.query('BEGIN');
        try {
          await client.query(migration.sql);
          await client.query('INSERT INTO warren_schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw new Error(`outbox schema migration ${migration.version} (${migration.name}) failed: ${(error as Error).message}`, { cause: error });
        }
        applied.push(migration.version);
      }
      return applied;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, $2)', [WARREN_LOCK_CLASS, MIGRATION_LOCK]);
    }
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    // After a failure the session may still hold the lock: destroy the connection rather than pool it.
    client.release(failed);
  }
}
