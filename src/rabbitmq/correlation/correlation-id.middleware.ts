import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { runWithCorrelationId } from './correlation-context.js';

export const REQUEST_ID_HEADER = 'x-request-id';

/** Accept a caller's id only if it is short and plain: it ends up in logs and message headers. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * HTTP middleware: takes `X-Request-Id` (or makes one), echoes it on the response, and runs the
 * rest of the request inside it, so every event the request publishes carries it as
 * `correlationId`. Apply with `consumer.apply(correlationIdMiddleware).forRoutes('*')`.
 */
export function correlationIdMiddleware(request: IncomingMessage, response: ServerResponse, next: () => void): void {
  // Applied twice by the app: first before the body parser (so early 4xx carry the id), then on
  // the routes (the body parser's stream callbacks lose the async context); the second keeps the id.
  const assigned = response.getHeader(REQUEST_ID_HEADER);
  const offered = request.headers[REQUEST_ID_HEADER];
  const requestId =
    typeof assigned === 'string' ? assigned : typeof offered === 'string' && SAFE_REQUEST_ID.test(offered) ? offered : randomUUID();
  response.setHeader(REQUEST_ID_HEADER, requestId);
  runWithCorrelationId(requestId, next);
}
