import { type ArgumentsHost, Catch, type ExceptionFilter, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { DATABASE_RETRY_AFTER_SECONDS, DatabaseUnavailableError } from './database-unavailable.error.js';

/** 503 + Retry-After while PostgreSQL is unreachable: nothing was written, a retry is safe. No stack trace to the client. */
@Catch(DatabaseUnavailableError)
export class DatabaseUnavailableFilter implements ExceptionFilter {
  private readonly logger = new Logger(DatabaseUnavailableFilter.name);

  catch(error: DatabaseUnavailableError, host: ArgumentsHost): void {
    if (host.getType() !== 'http') {
      throw error;
    }
    // One line, no stack: during an outage every request fails the same way.
    this.logger.warn(error.message);
    void host
      .switchToHttp()
      .getResponse<FastifyReply>()
      .header('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS))
      .status(HttpStatus.SERVICE_UNAVAILABLE)
      .send({
        statusCode: HttpStatus.SERVICE_UNAVAILABLE,
        error: 'Service Unavailable',
        message: `the database is unavailable, nothing was written; retry after ${DATABASE_RETRY_AFTER_SECONDS}s`,
      });
  }
}
