import { HttpException } from '@nestjs/common';
import { DecodeError } from '../errors/decode.error.js';
import { MessageTooLargeError } from '../errors/message-too-large.error.js';
import { NoHandlerError } from '../errors/no-handler.error.js';
import { NonRetryableError } from '../errors/non-retryable.error.js';
import type { DeliveryOutcome } from './delivery-outcome.js';
import { describeFailure } from './failure-description.js';
import { type RetryPolicy, retryDelay } from './retry-policy.js';

/*
 * The failure policy in one file (golevelup's errorBehaviors shape): what each failure leads to.
 * - retry: a copy to `<queue>.retry.<delay>` with `x-retry-count` + 1, while the handler's retry
 *   policy (resolved once, at registration: HandlerDefinition.retryPolicy) has attempts left;
 * - park: a copy to `<queue>.dlq` with the reason, at once for poison, else after the last retry;
 * - requeue: only when neither copy can be published now (FailedMessageKeeper), so nothing is lost.
 * The decision is a value (DeliveryOutcome); QueueConsumer carries it out once, at settle.
 */

/** Retry with the policy's next delay while retries remain; otherwise, or for poison, park. */
export function decideOnFailure(error: unknown, policy: RetryPolicy, retriesSoFar: number): DeliveryOutcome {
  const failure = describeFailure(error);
  const retryable = isRetryable(error);
  if (!retryable || retriesSoFar >= policy.attempts) {
    return { kind: 'dead-letter', failure, retryable };
  }
  const retry = retriesSoFar + 1;
  return { kind: 'retry', failure, retry, delayMs: retryDelay(policy, retry) };
}

/**
 * Poison never loops: a message that cannot be read, fails validation, has no handler, overflows
 * the stack, or whose handler said retrying is pointless goes to the DLQ at once. Everything else (a
 * downstream timeout, a refused connection, a bug that a deploy may fix) is retried.
 */
export function isRetryable(error: unknown): boolean {
  if (
    error instanceof DecodeError ||
    error instanceof MessageTooLargeError ||
    error instanceof NoHandlerError ||
    error instanceof NonRetryableError
  ) {
    return false;
  }
  // 4xx from the pipeline (ValidationPipe's BadRequestException, a pipe's 422): the same
  // input fails the same way next time.
  if (error instanceof HttpException) {
    const status = error.getStatus();
    return status < 400 || status >= 500;
  }
  // A stack overflow comes from the input's shape (deep nesting met by recursive code): the same
  // message overflows the same way on every attempt.
  if (isStackOverflow(error)) {
    return false;
  }
  return true;
}

/** V8's "Maximum call stack size exceeded". */
export function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError && /call stack/i.test(error.message);
}
