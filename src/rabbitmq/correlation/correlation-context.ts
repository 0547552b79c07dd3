import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Carries the id of the request (HTTP request id, or the correlation id of the message being
 * handled) through async calls, so every event published on its behalf carries it as
 * `correlationId` without each controller passing it along.
 */
const storage = new AsyncLocalStorage<string>();

export function runWithCorrelationId<T>(correlationId: string, fn: () => T): T {
  return storage.run(correlationId, fn);
}

export function currentCorrelationId(): string | undefined {
  return storage.getStore();
}
