import type { MessageProperties } from 'amqplib';

/** What the transport did with one delivery to one handler, as the harness observed it. */
export type HandlerResult = AckedResult | RetryResult | ParkedResult;

interface ResultBase {
  /** The handler's queue (`<service>.<handler>` unless `queue` was given). */
  queue: string;
  /** The handler name (`x-handler`), e.g. `inventory.order-created`. */
  handler: string;
}

/** The handler settled: the message is acked. */
export interface AckedResult extends ResultBase {
  kind: 'ack';
}

/** The handler failed retryably: a copy goes to `<queue>.retry.<delayMs>` and comes back after the delay. */
export interface RetryResult extends ResultBase {
  kind: 'retry';
  /** Which retry this is (1 for the first), as carried in `x-retry-count`. */
  attempt: number;
  delayMs: number;
  /** The delay queue the copy is published to. */
  retryQueue: string;
  /** `x-error-type`, e.g. `Error`, `HandlerTimeoutError`. */
  errorType: string;
  /** `x-error-message`. */
  errorMessage: string;
  /** The copy's properties and headers, as production builds them. */
  copy: Partial<MessageProperties> & { headers: Record<string, unknown> };
  /** @internal The copy's body, for HandlerHarness.retry(). */
  content: Buffer;
}

/** Parked in `<queue>.dlq`: poison (decode, validation, no handler, NonRetryableError) or out of retries. */
export interface ParkedResult extends ResultBase {
  kind: 'dead-letter';
  deadLetterQueue: string;
  errorType: string;
  errorMessage: string;
  /** Retries made before it was parked (`x-retry-count`). */
  retryCount: number;
  /** False for poison (never retried); true when a retryable failure ran out of attempts. */
  retryable: boolean;
  copy: Partial<MessageProperties> & { headers: Record<string, unknown> };
}

// Extension point for request/reply: when the transport answers requests (the handler's return
// value, or its failure, sent to the caller's `reply_to`), add a `RepliedResult { kind: 'reply';
// replyTo; correlationId; reply }` here, built in `settleInMemory` (in-memory-settlement.ts) from
// what the request processor published (see the note in in-memory-transport.ts).
