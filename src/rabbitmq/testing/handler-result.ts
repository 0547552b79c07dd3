import type { MessageProperties } from 'amqplib';

/** What the transport did with one delivery to one handler, as the harness observed it. */
export type HandlerResult = AckedResult | RetryResult | ParkedResult | RepliedResult;

interface ResultBase {
  /** The handler's queue (`<service>.<handler>` unless `queue` was given). */
  queue: string;
  /** The handler name (`x-handler`), e.g. `inventory.order-created`. */
  handler: string;
}

/**
 * An ordered handler's failure retried in place, as production does: no copy, no retry queue; the
 * handler runs again on the same delivery (`getRetryCount()` = `attempt`) after `delayMs`, and the
 * queue's next message waits meanwhile. The harness does not wait the delay.
 */
export interface InPlaceRetryRecord {
  /** Which retry this was (1 for the first). */
  attempt: number;
  delayMs: number;
  /** The failure that caused it: type and message, as the retry warning logs them. */
  errorType: string;
  errorMessage: string;
}

/** What an ordered handler's (`@HandleEvent(p, { ordered: true })`) results add: undefined for other handlers. */
interface OrderedResult {
  /** Ordered handlers only: the in-place retries made before this settlement, oldest first (empty when the first attempt settled). */
  retriedInPlace?: InPlaceRetryRecord[];
  /**
   * Ordered handlers only: message ids of the earlier messages of this queue still unsettled when
   * this one arrived. It ran only after each of them was acked or parked, as behind a
   * single-active-consumer queue with prefetch 1.
   */
  waitedFor?: string[];
  /**
   * Ordered by key only (`ordered: { by, partitions }`): the partition that handled it, `queue` being
   * `<handler queue>.p<partition>`. `waitedFor` then lists the earlier messages of this partition:
   * of its key, and of any other key hashed to the same partition.
   */
  partition?: number;
}

/** The handler settled: the message is acked. */
export interface AckedResult extends ResultBase, OrderedResult {
  kind: 'ack';
}

/**
 * The handler failed retryably: a copy goes to `<queue>.retry.<delayMs>` and comes back after the
 * delay. Never for an ordered handler: it retries in place (`retriedInPlace` of its final result).
 */
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
export interface ParkedResult extends ResultBase, OrderedResult {
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
