import { AsyncLocalStorage } from 'node:async_hooks';
import type { TraceHeaders } from '../wire/trace-headers.js';

/**
 * Carries the id of the request (HTTP request id, or the correlation id of the message being
 * handled) through async calls, so every event published on its behalf carries it as
 * `correlationId` without each controller passing it along. It also carries the W3C trace
 * headers that came with the request or message, so they reach every event published on its
 * behalf even when no OpenTelemetry SDK is registered (one store: one AsyncLocalStorage run).
 */
class CorrelationStore {
  private id?: string;

  constructor(
    /** The id, or how to work it out on first use (then kept). */
    private readonly source: string | (() => string),
    readonly trace: TraceHeaders | undefined,
  ) {}

  get correlationId(): string {
    this.id ??= typeof this.source === 'string' ? this.source : this.source();
    return this.id;
  }
}

const storage = new AsyncLocalStorage<CorrelationStore>();

export function runWithCorrelationId<T>(correlationId: string, fn: () => T, trace?: TraceHeaders): T {
  return storage.run(new CorrelationStore(correlationId, trace), fn);
}

/**
 * As runWithCorrelationId, with an id computed on first use: a consumed message without a usable
 * correlation id falls back to its derived messageId (a SHA-256 of the body), which most handlers
 * never need (they publish nothing and log nothing), so it is not hashed for each delivery.
 */
export function runWithLazyCorrelationId<T>(resolve: () => string, fn: () => T, trace?: TraceHeaders): T {
  return storage.run(new CorrelationStore(resolve, trace), fn);
}

export function currentCorrelationId(): string | undefined {
  return storage.getStore()?.correlationId;
}

/** The trace headers of the request or message being handled, as received (see `runWithCorrelationId`). */
export function currentTraceHeaders(): TraceHeaders | undefined {
  return storage.getStore()?.trace;
}
