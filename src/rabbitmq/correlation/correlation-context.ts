import { AsyncLocalStorage } from 'node:async_hooks';
import type { TraceHeaders } from '../wire/trace-headers.js';

/**
 * Carries the id of the request (HTTP request id, or the correlation id of the message being
 * handled) through async calls, so every event published on its behalf carries it as
 * `correlationId` without each controller passing it along. It also carries the W3C trace
 * headers that came with the request or message, so they reach every event published on its
 * behalf even when no OpenTelemetry SDK is registered (one store: one AsyncLocalStorage run).
 */
interface CorrelationStore {
  readonly correlationId: string;
  readonly trace?: TraceHeaders;
}

const storage = new AsyncLocalStorage<CorrelationStore>();

export function runWithCorrelationId<T>(correlationId: string, fn: () => T, trace?: TraceHeaders): T {
  return storage.run({ correlationId, trace }, fn);
}

export function currentCorrelationId(): string | undefined {
  return storage.getStore()?.correlationId;
}

/** The trace headers of the request or message being handled, as received (see `runWithCorrelationId`). */
export function currentTraceHeaders(): TraceHeaders | undefined {
  return storage.getStore()?.trace;
}
