import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { runWithCorrelationId } from './correlation-context.js';
import { isSafeCorrelationId } from './correlation-id.js';
import { runInRequestTraceContext } from './request-trace-context.js';
import { readTraceHeaders } from '../wire/trace-headers.js';

export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * HTTP middleware: takes `X-Request-Id` (or makes one), echoes it on the response, and runs the
 * rest of the request inside it, so every event the request publishes carries it as
 * `correlationId` (and the caller's `traceparent`/`tracestate`/`baggage`). On Express apply it
 * with `consumer.apply(correlationIdMiddleware).forRoutes('*')`; on Fastify as an `onRequest` and a
 * `preHandler` hook (see the service's src/http/http-hardening.ts).
 */
export function correlationIdMiddleware(request: IncomingMessage, response: ServerResponse, next: () => void): void {
  // Applied twice by the service: before the body parser (so early 4xx carry the id), then right
  // before the handler (the body parser's stream callbacks lose the async context); the second keeps the id.
  const assigned = response.getHeader(REQUEST_ID_HEADER);
  const offered = request.headers[REQUEST_ID_HEADER];
  // A caller's id is taken only if it is short and plain (the same rule as a message's correlationId).
  const requestId = typeof assigned === 'string' ? assigned : isSafeCorrelationId(offered) ? offered : randomUUID();
  response.setHeader(REQUEST_ID_HEADER, requestId);
  // The caller's W3C trace headers go onto every event the request publishes, with or without an SDK.
  runWithCorrelationId(requestId, () => runInRequestTraceContext(request.headers, next), readTraceHeaders(request.headers));
}
