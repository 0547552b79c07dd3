/** First wait after the broker refused a publish an ordered message waits on; doubles up to the maximum. */
export const REFUSAL_RETRY_MS = 500;
export const REFUSAL_RETRY_MAX_MS = 10_000;

/**
 * How long an ordered message is held before a publish the broker refused (down, blocked, a queue
 * at its bound) is tried again: the partition router's forward, an ordered handler's dead letter.
 * Holding, not requeueing: RabbitMQ 3.10 puts a requeued message at the back of a quorum queue.
 */
export class RefusalBackoff {
  private nextMs = REFUSAL_RETRY_MS;

  /** This wait, and doubles the next one. */
  next(): number {
    const waitMs = this.nextMs;
    this.nextMs = Math.min(waitMs * 2, REFUSAL_RETRY_MAX_MS);
    return waitMs;
  }

  /** A publish went through: the next refusal starts from the first wait again. */
  reset(): void {
    this.nextMs = REFUSAL_RETRY_MS;
  }
}
