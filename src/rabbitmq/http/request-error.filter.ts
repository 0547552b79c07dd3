import { type ArgumentsHost, Catch, type ExceptionFilter, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { RemoteHandlerError, RequestError, RequestTimeoutError } from '../errors/request.errors.js';

/**
 * Maps request/reply failures to HTTP answers:
 * - 504: no reply in time (RequestTimeoutError);
 * - 502: the handler failed, with its error type and message (RemoteHandlerError);
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
    const response = host.switchToHttp().getResponse<Response>();
    // One line, no stack: while a responder is down every request fails the same way.
    this.logger.warn(`${error.name}: ${error.message}`);
    if (error instanceof RequestTimeoutError) {
      response.status(HttpStatus.GATEWAY_TIMEOUT).json({ statusCode: HttpStatus.GATEWAY_TIMEOUT, error: 'Gateway Timeout', message: error.message });
      return;
    }
    if (error instanceof RemoteHandlerError) {
      response.status(HttpStatus.BAD_GATEWAY).json({
        statusCode: HttpStatus.BAD_GATEWAY,
        error: 'Bad Gateway',
        remoteType: error.remoteType,
        message: error.remoteMessage,
      });
      return;
    }
    response.setHeader('Retry-After', '1');
    response
      .status(HttpStatus.SERVICE_UNAVAILABLE)
      .json({ statusCode: HttpStatus.SERVICE_UNAVAILABLE, error: 'Service Unavailable', message: error.message });
  }
}
