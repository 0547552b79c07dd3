import type { MessageProperties } from 'amqplib';

/** What the transport did with one delivery to one handler, as the harness observed it. */
export type HandlerResult = AckedResult | RetryResult | ParkedResult | RepliedResult;

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

/**
 * A request (`@HandleRequest` / `@MessagePattern`) was answered and acked, as RequestProcessor
 * does in production: never retried, never parked, whether the handler succeeded or failed.
 */
export interface RepliedResult extends ResultBase {
  kind: 'replied';
  /**
   * What the caller reads from the reply: the handler's value, or (it failed) the type and message
   * of its RemoteHandlerError; undefined for a request without `replyTo` (nothing is sent).
   */
  reply?: { value: unknown } | { error: { type: string; message: string } };
  /** The request's `replyTo` and `correlationId`: where the reply went and the key its caller matches it by. */
  replyTo: string;
  correlationId?: string;
  /** False when publishing the reply failed (`publisher.failWith`): production logs it and the caller times out. */
  sent: boolean;
  /** The reply body as sent: Nest's `{ id, response | err, isDisposed }` JSON. */
  content: Buffer;
}
