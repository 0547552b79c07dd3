import type { Pool } from 'pg';

/** One versioned change of the demo's own tables: applied once, never edited after release (add a new one). */
interface DemoMigration {
  readonly version: number;
  readonly sql: string;
}

/** The demo's tables; the outbox and inbox tables are the library's (warren_schema_migrations). */
const MIGRATIONS: readonly DemoMigration[] = [
  {
    version: 1,
    sql: `
CREATE TABLE orders (
  id uuid PRIMARY KEY,
  customer_id text NOT NULL,
  items jsonb NOT NULL,
  event_id uuid NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE inventory_stock (sku text PRIMARY KEY, available int NOT NULL CHECK (available >= 0));
CREATE TABLE inventory_reservations (
  order_id uuid PRIMARY KEY,
  reserved boolean NOT NULL,
  items jsonb NOT NULL,
  decided_at timestamptz NOT NULL DEFAULT now()
);`,
  },
  {
    // order.created comes from any producer, and its contract says orderId is a string, not a UUID: an id of another
    // shape must be reserved like any other, not fail the handler's transaction on every retry.
    version: 2,
    sql: 'ALTER TABLE inventory_reservations ALTER COLUMN order_id TYPE text',
  },
];

/** Advisory lock key of the demo's migrations (single-key form; the library's locks use the two-key form). */
const DEMO_MIGRATION_LOCK = 0x64656d6f; // 'demo'

/**
 * Applies the migrations not yet in `demo_schema_migrations`, each in one transaction holding a
 * transaction-scoped advisory lock: replicas starting at once apply each version once, the others
 * wait and find it done. Idempotent. Returns the versions this call applied.
 */
export async function migrateDemoSchema(pool: Pool): Promise<number[]> {
  const applied: number[] = [];
  for (const migration of MIGRATIONS) {
    const client = await pool.connect();
    let healthy = false;
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [DEMO_MIGRATION_LOCK]);
      await client.query(
        'CREATE TABLE IF NOT EXISTS demo_schema_migrations (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
      );
      const { rowCount } = await client.query('SELECT 1 FROM demo_schema_migrations WHERE version = $1', [migration.version]);
      if (rowCount === 0) {
        await client.query(migration.sql);
        await client.query('INSERT INTO demo_schema_migrations (version) VALUES ($1)', [migration.version]);
        applied.push(migration.version);
      }
      await client.query('COMMIT');
      healthy = true;
    } finally {
      if (!healthy) await client.query('ROLLBACK').catch(() => undefined);
      client.release(!healthy);
    }
  }
  return applied;
}
