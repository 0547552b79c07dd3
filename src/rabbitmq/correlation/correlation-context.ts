import { AsyncLocalStorage } from 'node:async_hooks';

/** A correlation id worked out only when something asks for it, then kept. */
class LazyCorrelationId {
  private id?: string;

  constructor(private readonly resolve: () => string) {}

  get value(): string {
    this.id ??= this.resolve();
    return this.id;
  }
}

/**
 * Carries the id of the request (HTTP request id, or the correlation id of the message being
 * handled) through async calls, so every event published on its behalf carries it as
 * `correlationId` without each controller passing it along.
 */
const storage = new AsyncLocalStorage<string | LazyCorrelationId>();

export function runWithCorrelationId<T>(correlationId: string, fn: () => T): T {
  return storage.run(correlationId, fn);
}

/**
 * As runWithCorrelationId, with an id computed on first use: a consumed message without a usable
 * correlation id falls back to its derived messageId (a SHA-256 of the body), which most handlers
 * never need (they publish nothing and log nothing), so it is not hashed for each delivery.
 */
export function runWithLazyCorrelationId<T>(resolve: () => string, fn: () => T): T {
  return storage.run(new LazyCorrelationId(resolve), fn);
}

export function currentCorrelationId(): string | undefined {
  const store = storage.getStore();
  return typeof store === 'object' ? store.value : store;
}
