/** A handler ran longer than its timeout; counted as a retryable failure, its late result ignored. */
export class HandlerTimeoutError extends Error {
  override readonly name = 'HandlerTimeoutError';

  constructor(readonly timeoutMs: number) {
    super(`handler did not settle within ${timeoutMs} ms`);
  }
}
