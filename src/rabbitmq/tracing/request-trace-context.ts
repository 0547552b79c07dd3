import type { IncomingHttpHeaders } from 'node:http';
import { context, propagation, trace } from '@opentelemetry/api';
import { isTracingEnabled } from './tracing-enabled.js';

/**
 * Runs `fn` inside the trace context of an incoming HTTP request. With the HTTP instrumentation
 * of an SDK, its server span is already active and is kept. With an SDK but no HTTP
 * instrumentation, the caller's `traceparent` is extracted here, so the events the request
 * publishes still join the caller's trace. Without an SDK there is no context to set (the
 * received headers are carried by the correlation context instead).
 */
export function runInRequestTraceContext<T>(headers: IncomingHttpHeaders, fn: () => T): T {
  if (!isTracingEnabled() || trace.getSpan(context.active()) !== undefined) {
    return fn();
  }
  return context.with(propagation.extract(context.active(), headers), fn);
}
