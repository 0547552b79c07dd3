import { type ArgumentsHost, Catch, type ExceptionFilter, HttpStatus, Logger } from '@nestjs/common';
import { type HttpReply, replyJson } from './http-reply.js';
import { MessageTooLargeError } from '../errors/message-too-large.error.js';
import { PublishError, PublishOutcomeUnknownError } from '../errors/publish.errors.js';

/**
 * Maps publish failures to HTTP answers that tell the truth about the event:
 * - 503 + Retry-After: not sent (refused before anything was written, or nacked); a retry is safe.
 * - 504 with `eventId`: sent, but the broker's answer is unknown; the event may still be
 *   delivered, so the client reconciles by eventId instead of blindly retrying.
 * - 413: over the size limit.
 * Register with `app.useGlobalFilters(new PublishErrorFilter())`.
 */
@Catch(PublishError, MessageTooLargeError)
export class PublishErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(PublishErrorFilter.name);

  catch(error: PublishError | MessageTooLargeError, host: ArgumentsHost): void {
    if (host.getType() !== 'http') {
      throw error;
    }
    const response = host.switchToHttp().getResponse<HttpReply>();
    if (error instanceof MessageTooLargeError) {
      replyJson(response, HttpStatus.PAYLOAD_TOO_LARGE, {
        statusCode: HttpStatus.PAYLOAD_TOO_LARGE,
        error: 'Payload Too Large',
        message: error.message,
      });
      return;
    }
    // One line, no stack: during an outage every request fails the same way.
    this.logger.warn(`${error.name}: ${error.message}`);
    if (error instanceof PublishOutcomeUnknownError) {
      replyJson(response, HttpStatus.GATEWAY_TIMEOUT, {
        statusCode: HttpStatus.GATEWAY_TIMEOUT,
        error: 'Gateway Timeout',
        outcome: 'unknown',
        eventId: error.eventId,
        message: `event outcome unknown: ${error.message}`,
      });
      return;
    }
    replyJson(
      response,
      HttpStatus.SERVICE_UNAVAILABLE,
      {
        statusCode: HttpStatus.SERVICE_UNAVAILABLE,
        error: 'Service Unavailable',
        message: `event not accepted: ${error.message}; retry after ${error.retryAfterSeconds}s`,
      },
      { 'Retry-After': String(error.retryAfterSeconds) },
    );
  }
}
