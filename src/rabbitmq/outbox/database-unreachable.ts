import pg from 'pg';

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
  // Duck-typed, not instanceof Error: socket errors come from Node's realm, which is not the caller's under a VM (jest).
  if (typeof error !== 'object' || error === null) {
    return false;
  }
  const { code, message, errors } = error as { code?: unknown; message?: unknown; errors?: unknown };
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
    return true; // ECONNREFUSED, ECONNRESET, ETIMEDOUT, ENOTFOUND, EPIPE …
  }
  if (Array.isArray(errors)) {
    return errors.some(isDatabaseUnreachable); // an AggregateError: localhost tried on ::1 and 127.0.0.1, both refused
  }
  // node-postgres throws these without a code.
  return (
    typeof message === 'string' &&
    /timeout exceeded when trying to connect|Query read timeout|Connection terminated|connection error|Client was closed/i.test(message)
  );
}
