import pg from 'pg';

/** PostgreSQL cannot be reached (or is shutting down): the request can be retried later, nothing was written. */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
}

/** Seconds after which a client should try again. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

// SQLSTATE class 08 (connection exception), 57P01-57P03 (shutting down, cannot connect now), 53300 (too many connections).
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|53300)$/;

/**
 * True for a failure to reach PostgreSQL rather than a refused statement: a network error, a
 * connect or query timeout of the pool, a connection ended under the query, or a server that says
 * it is unavailable. A statement the server answered with any other SQLSTATE is a bug, not an outage.
 */
export function isDatabaseUnreachable(error: unknown): boolean {
  if (error instanceof pg.DatabaseError) {
    return UNAVAILABLE_SQLSTATE.test(error.code ?? '');
  }
  if (!(error instanceof Error)) {
    return false;
  }
  const { code } = error as { code?: unknown };
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
    return true; // ECONNREFUSED, ECONNRESET, ETIMEDOUT, ENOTFOUND, EPIPE …
  }
  // node-postgres throws these without a code.
  return /timeout exceeded when trying to connect|Query read timeout|Connection terminated|connection error|Client was closed/i.test(error.message);
}

/** Runs `work`, turning a failure to reach PostgreSQL into DatabaseUnavailableError (HTTP 503); anything else is rethrown as is. */
export async function unlessDatabaseUnreachable<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isDatabaseUnreachable(error)) {
      throw new DatabaseUnavailableError(`PostgreSQL is unreachable: ${(error as Error).message}`, { cause: error });
    }
    throw error;
  }
}
