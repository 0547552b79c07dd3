import { describe, expect, it } from '@jest/globals';
import * as deadLetter from './dead-letter.errors.js';
import { DecodeError } from './decode.error.js';
import { HandlerRegistrationError } from './handler-registration.error.js';
import { HandlerTimeoutError } from './handler-timeout.error.js';
import { InvalidRabbitMQOptionsError } from './invalid-options.error.js';
import { MessageTooLargeError } from './message-too-large.error.js';
import { NoHandlerError } from './no-handler.error.js';
import { NonRetryableError } from './non-retryable.error.js';
import * as publish from './publish.errors.js';
import { TopologyConflictError } from './topology-conflict.error.js';
import { UnknownCodecError } from './unknown-codec.error.js';
import { WarrenError } from './warren.error.js';

/** One instance of every library error; the code is what users match on, so it must not drift. */
const EVERY_ERROR: [WarrenError, string][] = [
  [new DecodeError('x'), 'WARREN_DECODE'],
  [new HandlerRegistrationError('x'), 'WARREN_HANDLER_REGISTRATION'],
  [new HandlerTimeoutError(10), 'WARREN_HANDLER_TIMEOUT'],
  [new InvalidRabbitMQOptionsError('x'), 'WARREN_INVALID_OPTIONS'],
  [new MessageTooLargeError(2, 1), 'WARREN_MESSAGE_TOO_LARGE'],
  [new NoHandlerError('x'), 'WARREN_NO_HANDLER'],
  [new NonRetryableError('x'), 'WARREN_NON_RETRYABLE'],
  [new publish.PublishError('x'), 'WARREN_PUBLISH'],
  [new publish.PublishTimeoutError('x'), 'WARREN_PUBLISH_TIMEOUT'],
  [new publish.PublishRejectedError('x'), 'WARREN_PUBLISH_REJECTED'],
  [new publish.PublisherClosedError('x'), 'WARREN_PUBLISHER_CLOSED'],
  [new publish.PublishBufferFullError('x'), 'WARREN_PUBLISH_BUFFER_FULL'],
  [new publish.PublisherBlockedError('x'), 'WARREN_PUBLISHER_BLOCKED'],
  [new publish.PublishStalledError('x'), 'WARREN_PUBLISH_STALLED'],
  [new publish.PublishOutcomeUnknownError('x', 'id'), 'WARREN_PUBLISH_OUTCOME_UNKNOWN'],
  [new publish.PublishTopologyConflictError('x'), 'WARREN_PUBLISH_TOPOLOGY_CONFLICT'],
  [new TopologyConflictError({ kind: 'queue', name: 'q' }), 'WARREN_TOPOLOGY_CONFLICT'],
  [new deadLetter.DeadLetterError('x'), 'WARREN_DEAD_LETTER'],
  [new deadLetter.DeadLetterQueueNotFoundError('q.dlq'), 'WARREN_DLQ_NOT_FOUND'],
  [new deadLetter.OriginatingQueueNotFoundError('q', 'q.dlq'), 'WARREN_ORIGINATING_QUEUE_NOT_FOUND'],
  [new deadLetter.ReplayPublishError('q.dlq', 'id', 'nacked', 0), 'WARREN_REPLAY_PUBLISH'],
  [new deadLetter.InvalidDeadLetterRequestError('x'), 'WARREN_INVALID_DLQ_REQUEST'],
  [new UnknownCodecError('x'), 'WARREN_UNKNOWN_CODEC'],
];

describe('WarrenError', () => {
  it.each(EVERY_ERROR.map(([error, code]) => [error.name, error, code] as const))('%s extends WarrenError with code %s', (_name, error, code) => {
    expect(error).toBeInstanceOf(WarrenError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe(code);
  });

  it('gives every error class its own code', () => {
    const codes = EVERY_ERROR.map(([, code]) => code);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('keeps the class name as `name` (what x-error-type says), not the base name', () => {
    expect(EVERY_ERROR.map(([error]) => error.name)).toEqual(EVERY_ERROR.map(([error]) => error.constructor.name));
  });

  it('lets a team subclass NonRetryableError and keep catching it by code', () => {
    class OutOfStockError extends NonRetryableError {
      override readonly name = 'OutOfStockError';
    }
    const error = new OutOfStockError('sku 42');
    expect(error.code).toBe('WARREN_NON_RETRYABLE');
    expect(error.name).toBe('OutOfStockError');
  });
});
