/**
 * A publish that was not confirmed by the broker. The event may or may not have been stored, so
 * callers must answer "try again" (HTTP 503 + Retry-After), never "accepted".
 */
export class PublishError extends Error {
  override readonly name: string = 'PublishError';

  constructor(
    message: string,
    /** Seconds after which a retry is sensible; HTTP maps it to `Retry-After`. */
    readonly retryAfterSeconds = 1,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The broker did not confirm within `publishTimeoutMs` (down, blocked, or unreachable). */
export class PublishTimeoutError extends PublishError {
  override readonly name = 'PublishTimeoutError';
}

/** The broker refused the message (nack), e.g. a queue overflowing with `reject-publish`. */
export class PublishRejectedError extends PublishError {
  override readonly name = 'PublishRejectedError';
}

/** Publishing after the publisher was closed for shutdown. */
export class PublisherClosedError extends PublishError {
  override readonly name = 'PublisherClosedError';
}

/**
 * Too many publishes are waiting for confirms (broker slow, blocked or down): refused at once
 * rather than buffered without bound.
 */
export class PublishBufferFullError extends PublishError {
  override readonly name = 'PublishBufferFullError';
}

/**
 * The broker blocks publishers (memory or disk alarm): refused before anything is written, so
 * the 503 is truthful — the event was not sent and a retry cannot duplicate it.
 */
export class PublisherBlockedError extends PublishError {
  override readonly name = 'PublisherBlockedError';
}

/**
 * The events exchange (or the unrouted queue) conflicts with what exists on the broker (406):
 * refused before anything is sent, naming the conflict — the broker is reachable, and retrying
 * will not help until an operator resolves it.
 */
export class PublishTopologyConflictError extends PublishError {
  override readonly name = 'PublishTopologyConflictError';
}
