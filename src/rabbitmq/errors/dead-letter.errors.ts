import { WarrenError } from './warren.error.js';
/** Errors of the dead-letter tooling; each names the queue and what the operator can do. */

/** Base class, so callers can tell a refused DLQ operation from an unexpected failure. */
export class DeadLetterError extends WarrenError {
  override readonly code: string = 'WARREN_DEAD_LETTER';
  override readonly name: string = 'DeadLetterError';
}

/** The dead-letter queue does not exist on the broker (404 on a passive declare). */
export class DeadLetterQueueNotFoundError extends DeadLetterError {
  override readonly code = 'WARREN_DLQ_NOT_FOUND';
  override readonly name = 'DeadLetterQueueNotFoundError';

  constructor(readonly dlq: string) {
    super(
      `dead-letter queue '${dlq}' does not exist: check the handler queue name ` +
        `(a DLQ is declared when the service first starts consuming that queue)`,
    );
  }
}

/**
 * The queue a replay would send messages back to does not exist. Publishing anyway would have
 * the broker drop every copy (the default exchange cannot route it), so the replay refuses.
 */
export class OriginatingQueueNotFoundError extends DeadLetterError {
  override readonly code = 'WARREN_ORIGINATING_QUEUE_NOT_FOUND';
  override readonly name = 'OriginatingQueueNotFoundError';

  constructor(
    readonly queue: string,
    readonly dlq: string,
  ) {
    super(`cannot replay '${dlq}': its originating queue '${queue}' does not exist (start the service that consumes it first)`);
  }
}

/**
 * The broker did not accept a replayed copy (nacked, returned as unroutable, or no confirm in
 * time). The parked message was not acked, so it is still in the DLQ.
 */
export class ReplayPublishError extends DeadLetterError {
  override readonly code = 'WARREN_REPLAY_PUBLISH';
  override readonly name = 'ReplayPublishError';

  constructor(
    readonly dlq: string,
    readonly messageId: string | undefined,
    reason: string,
    readonly replayed: number,
  ) {
    super(
      `replay from '${dlq}' stopped after ${replayed} message(s): the copy of message ` +
        `${messageId ?? '(no messageId)'} was ${reason}; it is still in the dead-letter queue`,
    );
  }
}

/** A caller passed an unusable argument (e.g. a limit that is not a positive integer). */
export class InvalidDeadLetterRequestError extends DeadLetterError {
  override readonly code = 'WARREN_INVALID_DLQ_REQUEST';
  override readonly name = 'InvalidDeadLetterRequestError';
}
