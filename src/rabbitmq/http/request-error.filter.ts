import { randomUUID } from 'node:crypto';
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpStatus, Logger } from '@nestjs/common';
import { type HttpReply, replyJson } from './http-reply.js';
import { RemoteHandlerError, RequestError, RequestTimeoutError } from '../errors/request.errors.js';

/**
 * Maps request/reply failures to HTTP answers:
 * - 504: no reply in time (RequestTimeoutError);
 * - 502: the handler failed (RemoteHandlerError). The HTTP client gets an error id only: the
 *   remote type and message are whatever the responding side put in its error (a connection URL,
 *   a megabyte of text), so they go to this service's log under that id, never to the client;
 * - 503 + Retry-After: not carried (in-flight bound, no channel, connection lost, no queue).
 * Register with `app.useGlobalFilters(new RequestErrorFilter())`.
 */
@Catch(RequestError)
export class RequestErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(RequestErrorFilter.name);

  catch(error: RequestError, host: ArgumentsHost): void {
    if (host.getType() !== 'http') {
      throw error;
    }
    const response = host.switchToHttp().getResponse<HttpReply>();
    if (error instanceof RemoteHandlerError) {
      const errorId = randomUUID();
      // RemoteHandlerError's text is already cut and made printable (replyOutcome). An error, not a
      // warning: repeated warnings are held back by the app's logger, and each id must be findable.
      this.logger.error(`${error.name} (error id ${errorId}): ${error.message}`);
      replyJson(response, HttpStatus.BAD_GATEWAY, {
        statusCode: HttpStatus.BAD_GATEWAY,
        error: 'Bad Gateway',
        message: `the service answering this request failed; its error is logged with id ${errorId}`,
        errorId,
      });
      return;
    }
    // One line, no stack: while a responder is down every request fails the same way.
    this.logger.warn(`${error.name}: ${error.message}`);
    if (error instanceof RequestTimeoutError) {
      replyJson(response, HttpStatus.GATEWAY_TIMEOUT, { statusCode: HttpStatus.GATEWAY_TIMEOUT, error: 'Gateway Timeout', message: error.message });
      return;
    }
    replyJson(
      response,
      HttpStatus.SERVICE_UNAVAILABLE,
      { statusCode: HttpStatus.SERVICE_UNAVAILABLE, error: 'Service Unavailable', message: error.message },
      { 'Retry-After': '1' },
    );
  }
}
