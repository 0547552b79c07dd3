import { WarrenError } from './warren.error.js';
/**
 * Throw this (or a subclass) from a handler when something it depends on is down or unreachable
 * and your client library says so in its own words (an SMTP 421, a pool that gave up). The message
 * is retried, and the failure counts toward the queue's kill switch, as a timeout or a refused
 * connection does. Pass the original error as `cause`.
 */
export class DependencyUnavailableError extends WarrenError {
  override readonly code: string = 'WARREN_DEPENDENCY_UNAVAILABLE';
  override readonly name: string = 'DependencyUnavailableError';
}
