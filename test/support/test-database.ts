import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/** The server tests create their databases on (its `postgres` database is only used to create and drop them). */
export const SHARED_DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const CREATE_DATABASE = fileURLToPath(new URL('../../scripts/create-database.mjs', import.meta.url));

/**
 * A database of its own for one test file, `warren_test_<random>`, created on SHARED_DATABASE_URL.
 * `drop()` drops exactly that one (never a database this helper did not create), closing
 * whatever connections are still open to it.
 */
export class TestDatabase {
  private constructor(
    readonly name: string,
    readonly url: string,
  ) {}

  static async create(): Promise<TestDatabase> {
    const name = `warren_test_${randomBytes(6).toString('hex')}`;
    await admin((client) => client.query(`CREATE DATABASE ${name}`));
    const url = new URL(SHARED_DATABASE_URL);
    url.pathname = `/${name}`;
    return new TestDatabase(name, url.toString());
  }

  /** The same, synchronously (for a process spawned at once), through the script start.sh runs: scripts/create-database.mjs. */
  static createSync(): TestDatabase {
    const name = `warren_test_${randomBytes(6).toString('hex')}`;
    const url = new URL(SHARED_DATABASE_URL);
    url.pathname = `/${name}`;
    execFileSync(process.execPath, [CREATE_DATABASE], { env: { ...process.env, DATABASE_URL: url.toString() }, stdio: 'pipe' });
    return new TestDatabase(name, url.toString());
  }

  /** A pool on this database; the caller ends it (drop() also cuts it off). */
  pool(max = 10): pg.Pool {
    const pool = new pg.Pool({ connectionString: this.url, max });
    // A connection cut by drop() must not crash the test process.
    pool.on('error', () => undefined);
    return pool;
  }

  async drop(): Promise<void> {
    if (!/^warren_test_[0-9a-f]{12}$/.test(this.name)) {
      throw new Error(`refusing to drop ${this.name}: not a database TestDatabase created`);
    }
    await admin((client) => client.query(`DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`));
  }
}

async function admin(run: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: SHARED_DATABASE_URL });
  await client.connect();
  try {
    await run(client);
  } finally {
    await client.end();
  }
}
