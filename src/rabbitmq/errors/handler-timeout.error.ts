import { WarrenError } from './warren.error.js';
/** A handler ran longer than its timeout; counted as a retryable failure, its late result ignored. */
export class HandlerTimeoutError extends WarrenError {
  override readonly code = 'WARREN_HANDLER_TIMEOUT';
  override readonly name = 'HandlerTimeoutError';

  constructor(readonly timeoutMs: number) {
    super(`handler did not settle within ${timeoutMs} ms`);
  }
}
