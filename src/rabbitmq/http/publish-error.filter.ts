import { type ArgumentsHost, Catch, type ExceptionFilter, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { MessageTooLargeError } from '../errors/message-too-large.error.js';
import { PublishError } from '../errors/publish.errors.js';

/**
 * Maps publish failures to honest HTTP answers: 503 + Retry-After when the broker did not
 * confirm (the client must retry; the event was not accepted — though after a timeout it may
 * still arrive, which is why handlers de-duplicate by messageId), 413 when it is over the limit.
 * Register with `app.useGlobalFilters(new PublishErrorFilter())`.
 */
@Catch(PublishError, MessageTooLargeError)
export class PublishErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(PublishErrorFilter.name);

  catch(error: PublishError | MessageTooLargeError, host: ArgumentsHost): void {
    if (host.getType() !== 'http') {
      throw error;
    }
    const response = host.switchToHttp().getResponse<Response>();
    if (error instanceof MessageTooLargeError) {
      response.status(HttpStatus.PAYLOAD_TOO_LARGE).json({
        statusCode: HttpStatus.PAYLOAD_TOO_LARGE,
        error: 'Payload Too Large',
        message: error.message,
      });
      return;
    }
    // One line, no stack: during an outage every request fails the same way.
    this.logger.warn(`${error.name}: ${error.message}`);
    response.setHeader('Retry-After', String(error.retryAfterSeconds));
    response.status(HttpStatus.SERVICE_UNAVAILABLE).json({
      statusCode: HttpStatus.SERVICE_UNAVAILABLE,
      error: 'Service Unavailable',
      message: `event not accepted: ${error.message}; retry after ${error.retryAfterSeconds}s`,
    });
  }
}
