import { HttpException } from '@nestjs/common';
import { DecodeError } from '../errors/decode.error.js';
import { DependencyUnavailableError } from '../errors/dependency-unavailable.error.js';
import { HandlerTimeoutError } from '../errors/handler-timeout.error.js';
import { MessageTooLargeError } from '../errors/message-too-large.error.js';
import { NoHandlerError } from '../errors/no-handler.error.js';
import { NonRetryableError } from '../errors/non-retryable.error.js';
import {
  PublishBufferFullError,
  PublisherBlockedError,
  PublishOutcomeUnknownError,
  PublishRejectedError,
  PublishStalledError,
  PublishTimeoutError,
} from '../errors/publish.errors.js';
import { RequestTimeoutError } from '../errors/request.errors.js';
import { UnknownCodecError } from '../errors/unknown-codec.error.js';
import type { DeliveryOutcome } from './delivery-outcome.js';
import { describeFailure } from './failure-description.js';
import { type RetryPolicy, retryDelay } from './retry-policy.js';

/*
 * The failure policy in one file (golevelup's errorBehaviors shape): what each failure leads to.
 * - retry: a copy to `<queue>.retry.<delay>` with `x-retry-count` + 1, while the handler's retry
 *   policy (resolved once, at registration: HandlerDefinition.retryPolicy) has attempts left;
 * - park: a copy to `<queue>.dlq` with the reason, at once for poison, else after the last retry;
 * - requeue: only when neither copy can be published now (FailedMessageKeeper), so nothing is lost.
 * - the kill switch counts a failure only when it means a dependency is down (killSwitchSignal).
 * The decision is a value (DeliveryOutcome); QueueConsumer carries it out once, at settle.
 */

/**
 * What a failure means:
 * - `dependency-down`: a timeout, a refused / reset / unreachable connection (its `code`, on the
 *   error or any `cause`), the broker refusing an onward publish, a DependencyUnavailableError.
 *   Retried, and counted by the kill switch: the next messages would fail the same way.
 * - `poison`: the message cannot be read or validated, has no handler, the handler said retrying
 *   is pointless, or the handler has a bug (`TypeError`, `ReferenceError`, `RangeError` — a stack
 *   overflow too —, `SyntaxError`, an onward event that cannot be encoded). Parked at once, not
 *   counted: the same input fails the same way, and says nothing about a dependency.
 * - `retryable`: anything else (a plain `Error`, a 5xx). Retried, not counted.
 */
export type FailureClass = 'dependency-down' | 'poison' | 'retryable';

/** Retry with the policy's next delay while retries remain; otherwise, or for poison, park. */
export function decideOnFailure(error: unknown, policy: RetryPolicy, retriesSoFar: number): DeliveryOutcome {
  const failure = describeFailure(error);
  const kind = classifyFailure(error);
  const dependencyDown = kind === 'dependency-down';
  if (kind === 'poison' || retriesSoFar >= policy.attempts) {
    return { kind: 'dead-letter', failure, retryable: kind !== 'poison', dependencyDown };
  }
  const retry = retriesSoFar + 1;
  return { kind: 'retry', failure, retry, delayMs: retryDelay(policy, retry), dependencyDown };
}

export function isRetryable(error: unknown): boolean {
  return classifyFailure(error) !== 'poison';
}

/**
 * What an outcome tells a queue's kill switch: a failure that means a dependency is down, a
 * success, or nothing at all (poison and ordinary failures: a flood of invalid events must not
 * pause the queue for the valid ones).
 */
export function killSwitchSignal(outcome: DeliveryOutcome): 'failure' | 'success' | undefined {
  if (outcome.kind === 'ack' && outcome.failedRequest === undefined) {
    return 'success';
  }
  const dependencyDown = outcome.kind === 'ack' ? outcome.failedRequest?.dependencyDown : outcome.dependencyDown;
  return dependencyDown ? 'failure' : undefined;
}

export function classifyFailure(error: unknown): FailureClass {
  // First: fetch() throws a TypeError whose cause is the refused connection.
  if (isDependencyDown(error)) {
    return 'dependency-down';
  }
  if (POISON.some((type) => error instanceof type)) {
    return 'poison';
  }
  // 4xx from the pipeline (ValidationPipe's BadRequestException, a pipe's 422): the same
  // input fails the same way next time.
  if (error instanceof HttpException) {
    const status = error.getStatus();
    return status >= 400 && status < 500 ? 'poison' : 'retryable';
  }
  return 'retryable';
}

/** Thrown by a broken handler or message, never by a dependency; a retry cannot help. */
const POISON = [
  DecodeError,
  MessageTooLargeError,
  NoHandlerError,
  NonRetryableError,
  UnknownCodecError,
  // Programming errors. A stack overflow (RangeError) comes from the input's shape (deep nesting
  // met by recursive code); JSON.stringify of a BigInt or a cycle (an onward event) is a TypeError.
  TypeError,
  ReferenceError,
  RangeError,
  SyntaxError,
  EvalError,
  URIError,
] as const;

const DEPENDENCY_DOWN = [
  DependencyUnavailableError,
  HandlerTimeoutError,
  RequestTimeoutError,
  PublishTimeoutError,
  PublishRejectedError,
  PublishBufferFullError,
  PublisherBlockedError,
  PublishStalledError,
  PublishOutcomeUnknownError,
] as const;

/**
 * Node's (`net`, `dns`), undici's (`fetch`) and PostgreSQL's (SQLSTATE, as `pg` reports it) codes
 * for a peer that is down, unreachable, silent or refusing connections.
 */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  // SQLSTATE class 08 (connection exception), 57P01-57P03 (shutting down, cannot connect now), 53300 (too many connections)
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

/** How deep the `cause` chain is followed: wrappers nest a few levels, a producer of cycles does not get a loop. */
const MAX_CAUSE_DEPTH = 5;

function isDependencyDown(error: unknown): boolean {
  let current = error;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH && typeof current === 'object' && current !== null; depth++) {
    if (DEPENDENCY_DOWN.some((type) => current instanceof type)) {
      return true;
    }
    // AbortSignal.timeout() aborts with a DOMException named TimeoutError.
    if (current instanceof DOMException && current.name === 'TimeoutError') {
      return true;
    }
    const { code, cause } = current as { code?: unknown; cause?: unknown };
    if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) {
      return true;
    }
    current = cause;
  }
  return false;
}
