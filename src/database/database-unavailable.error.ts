import { isDatabaseUnreachable } from '../rabbitmq/admin.js';

/** PostgreSQL cannot be reached (or is shutting down): the request can be retried later, nothing was written. */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
}

/** Seconds after which a client should try again. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

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
