/**
 * Throw this (or a subclass) from a handler when retrying cannot help — the input is wrong, not
 * the world. The message goes straight to the dead-letter queue with this error as the reason.
 */
export class NonRetryableError extends Error {
  override readonly name: string = 'NonRetryableError';
}
