import type { TopologyConflictError } from '../errors/topology-conflict.error.js';

/**
 * Where declarations report what they found, so one place (the connection of their role) can
 * log once, keep readiness honest and retry with backoff. Declarations themselves stay free of
 * logging and state.
 */
export interface TopologyReporter {
  /** The object was declared (or found usable): a conflict recorded for it is over. */
  declared(kind: 'exchange' | 'queue', name: string): void;
  /** A declare failed with 406: record it, report it, and retry later with backoff. */
  conflict(error: TopologyConflictError): void;
  /** The events exchange exists in the older form with an `alternate-exchange` argument. */
  legacyExchange(name: string): void;
  /** A queue exists without the bound warren now declares (`argument`): used as it is. */
  unboundedQueue(name: string, argument: string, bound: Record<string, unknown>): void;
}
