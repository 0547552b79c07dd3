import pg from 'pg';
import { Logger } from '@nestjs/common';

/** A connection attempt to an unreachable server fails after this instead of hanging a request. */
const CONNECT_TIMEOUT_MS = 3_000;
/** A query on a connection whose server stopped answering (a partition) fails after this. */
const QUERY_TIMEOUT_MS = 10_000;

/**
 * The service's PostgreSQL pool, shared by its own tables and the outbox (RabbitMQModule's
 * `outbox.database`), so an order and its event are written on one connection in one transaction.
 * Every wait is bounded: PostgreSQL away means a quick 503, not requests piling up.
 */
export function createDatabasePool(url: string): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: 20,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    query_timeout: QUERY_TIMEOUT_MS,
    keepAlive: true,
  });
  const logger = new Logger('Database');
  // An idle connection cut by the server or the network must not crash the process; the next query reconnects.
  pool.on('error', (error) => logger.warn(`an idle PostgreSQL connection failed: ${error.message}`));
  // A connection cut while checked out between two statements (pg-pool listens only on idle
  // ones) emits 'error' on its client: unheard, that would crash the process. The statement that
  // uses it next fails instead, and the connection is discarded on release.
  pool.on('connect', (client) => client.on('error', (error) => logger.warn(`a PostgreSQL connection in use failed: ${error.message}`)));
  return pool;
}
