import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { runWithCorrelationId } from './correlation-context.js';
import { isSafeCorrelationId } from './correlation-id.js';

export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * HTTP middleware: takes `X-Request-Id` (or makes one), echoes it on the response, and runs the
 * rest of the request inside it, so every event the request publishes carries it as
 * `correlationId`. Apply with `consumer.apply(correlationIdMiddleware).forRoutes('*')`.
 */
export function correlationIdMiddleware(request: IncomingMessage, response: ServerResponse, next: () => void): void {
  const offered = request.headers[REQUEST_ID_HEADER];
  // A caller's id is taken only if it is short and plain (the same rule as a message's correlationId).
  const requestId = isSafeCorrelationId(offered) ? offered : randomUUID();
  response.setHeader(REQUEST_ID_HEADER, requestId);
  runWithCorrelationId(requestId, next);
}
