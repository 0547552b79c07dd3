import { WarrenError } from './warren.error.js';
/**
 * A publish that was not confirmed by the broker. Each subclass says which of two things
 * happened, because the caller's answer differs:
 * - not sent (every subclass except PublishOutcomeUnknownError): nothing was written to the
 *   broker, or the broker answered "not stored" (nack). A retry cannot duplicate the event:
 *   HTTP 503 + Retry-After.
 * - PublishOutcomeUnknownError: written, but no answer came (confirm timeout, connection or
 *   channel lost after the write). The event may still be stored: HTTP 504 with the eventId.
 */
export class PublishError extends WarrenError {
  override readonly code: string = 'WARREN_PUBLISH';
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

/**
 * Not sent: no channel to the broker became usable before the deadline (connection down or
 * still being set up). Nothing was written.
 */
export class PublishTimeoutError extends PublishError {
  override readonly code = 'WARREN_PUBLISH_TIMEOUT';
  override readonly name = 'PublishTimeoutError';
}

/** Not stored: the broker refused the message (nack), e.g. a queue overflowing with `reject-publish`. */
export class PublishRejectedError extends PublishError {
  override readonly code = 'WARREN_PUBLISH_REJECTED';
  override readonly name = 'PublishRejectedError';
}

/** Publishing after the publisher was closed for shutdown. */
export class PublisherClosedError extends PublishError {
  override readonly code = 'WARREN_PUBLISHER_CLOSED';
  override readonly name = 'PublisherClosedError';
}

/**
 * Too many publishes are waiting for confirms (broker slow, blocked or down): refused at once
 * rather than buffered without bound.
 */
export class PublishBufferFullError extends PublishError {
  override readonly code = 'WARREN_PUBLISH_BUFFER_FULL';
  override readonly name = 'PublishBufferFullError';
}

/**
 * The broker blocks publishers (memory or disk alarm): refused before anything is written, so
 * the 503 is truthful — the event was not sent and a retry cannot duplicate it.
 */
export class PublisherBlockedError extends PublishError {
  override readonly code = 'WARREN_PUBLISHER_BLOCKED';
  override readonly name = 'PublisherBlockedError';
}

/**
 * Confirms stopped arriving (a hung or frozen broker: the oldest unconfirmed publish is older
 * than `publish.confirmStallMs`): refused before anything is written, until confirms flow again.
 */
export class PublishStalledError extends PublishError {
  override readonly code = 'WARREN_PUBLISH_STALLED';
  override readonly name = 'PublishStalledError';
}

/**
 * The event was written to the broker but its answer is unknown: the confirm did not come in
 * time, or the connection/channel was lost after the write (also: the broker started blocking
 * us right after the write, which only happens to the first publish after a resource alarm —
 * RabbitMQ announces `connection.blocked` only once a publish arrives). The broker may have
 * stored it, and then it will be delivered. HTTP answers 504 with `eventId` so the client can
 * reconcile instead of blindly retrying (a retry may create a second event; handlers
 * de-duplicate by messageId only when the retry reuses it).
 */
export class PublishOutcomeUnknownError extends PublishError {
  override readonly code = 'WARREN_PUBLISH_OUTCOME_UNKNOWN';
  override readonly name = 'PublishOutcomeUnknownError';

  constructor(
    message: string,
    /** messageId of the event (the eventId answered to HTTP clients); undefined for raw copies without one. */
    readonly eventId: string | undefined,
    options?: ErrorOptions,
  ) {
    super(message, 1, options);
  }
}

/**
 * The events exchange (or the unrouted queue) conflicts with what exists on the broker (406):
 * refused before anything is sent, naming the conflict — the broker is reachable, and retrying
 * will not help until an operator resolves it.
 */
export class PublishTopologyConflictError extends PublishError {
  override readonly code = 'WARREN_PUBLISH_TOPOLOGY_CONFLICT';
  override readonly name = 'PublishTopologyConflictError';
}
