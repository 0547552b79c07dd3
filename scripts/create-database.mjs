// Creates the database DATABASE_URL names when it does not exist yet (start.sh runs it before the
// service; test support runs it for a database of its own). The service migrates its tables
// itself at start. Connects to the `postgres` database of the same server with the same user;
// never prints the URL (it may hold a password). Exits non-zero with what to do when it cannot.
import pg from 'pg';

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/warren';
const url = new URL(process.env.DATABASE_URL || DEFAULT_URL);
const name = decodeURIComponent(url.pathname.slice(1));
if (!/^[A-Za-z0-9_]{1,63}$/.test(name)) {
  console.error(`[database] the database name in DATABASE_URL must be 1 to 63 letters, digits or underscores, got '${name}'`);
  process.exit(1);
}
url.pathname = '/postgres';
const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 10_000 });
try {
  await client.connect();
  const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (rowCount === 0) {
    // 42P04: created meanwhile by another replica or run.
    await client.query(`CREATE DATABASE "${name}"`).catch((error) => {
      if (error.code !== '42P04') throw error;
    });
    console.log(`[database] created database ${name}`);
  }
} catch (error) {
  console.error(
    `[database] cannot create database ${name} on ${url.host}: ${error.message}; check DATABASE_URL and that PostgreSQL runs (scripts/ensure-postgres.sh)`,
  );
  process.exitCode = 1;
} finally {
  await client.end().catch(() => undefined);
}
