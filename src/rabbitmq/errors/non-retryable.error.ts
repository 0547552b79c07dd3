import { WarrenError } from './warren.error.js';
/**
 * Throw this (or a subclass) from a handler when retrying cannot help — the input is wrong, not
 * the world. The message goes straight to the dead-letter queue with this error as the reason.
 */
export class NonRetryableError extends WarrenError {
  override readonly code: string = 'WARREN_NON_RETRYABLE';
  override readonly name: string = 'NonRetryableError';
}
