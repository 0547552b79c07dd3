import { describe, expect, it } from '@jest/globals';
import {
  BadRequestException,
  ConflictException,
  HttpException,
  InternalServerErrorException,
  ServiceUnavailableException,
  UnprocessableEntityException,
} from '@nestjs/common';
import { DecodeError } from '../errors/decode.error.js';
import { HandlerTimeoutError } from '../errors/handler-timeout.error.js';
import { MessageTooLargeError } from '../errors/message-too-large.error.js';
import { NoHandlerError } from '../errors/no-handler.error.js';
import { NonRetryableError } from '../errors/non-retryable.error.js';
import { decideOnFailure, isRetryable } from './failure-policy.js';
import type { RetryPolicy } from './retry-policy.js';

class PaymentDeclinedError extends NonRetryableError {
  override readonly name = 'PaymentDeclinedError';
}

describe('isRetryable', () => {
  it.each([
    ['DecodeError', new DecodeError('not JSON')],
    ['MessageTooLargeError', new MessageTooLargeError(2048, 1024)],
    ['NoHandlerError', new NoHandlerError('no handler for order.deleted')],
    ['NonRetryableError', new NonRetryableError('bad input')],
    ['a subclass of NonRetryableError', new PaymentDeclinedError('card declined')],
  ])('does not retry %s', (_case, error) => {
    expect(isRetryable(error)).toBe(false);
  });

  it.each([
    ['BadRequestException (400)', new BadRequestException(['name must be a string'])],
    ['UnprocessableEntityException (422)', new UnprocessableEntityException('nope')],
    ['ConflictException (409)', new ConflictException()],
    ['HttpException 499', new HttpException('client closed', 499)],
  ])('does not retry a 4xx %s', (_case, error) => {
    expect(isRetryable(error)).toBe(false);
  });

  it.each([
    ['InternalServerErrorException (500)', new InternalServerErrorException()],
    ['ServiceUnavailableException (503)', new ServiceUnavailableException()],
    ['HttpException 599', new HttpException('odd', 599)],
  ])('retries a 5xx %s', (_case, error) => {
    expect(isRetryable(error)).toBe(true);
  });

  it.each([
    ['a plain Error', new Error('ECONNREFUSED')],
    ['a TypeError', new TypeError('cannot read properties of undefined')],
    ['a HandlerTimeoutError', new HandlerTimeoutError(30_000)],
    ['a thrown string', 'boom'],
    ['a thrown object', { code: 'E_DOWN' }],
    ['undefined', undefined],
  ])('retries %s', (_case, error) => {
    expect(isRetryable(error)).toBe(true);
  });

  it('retries an HttpException outside 4xx (e.g. 302): only client errors are poison', () => {
    expect(isRetryable(new HttpException('moved', 302))).toBe(true);
    expect(isRetryable(new HttpException('last 3xx', 399))).toBe(true);
    expect(isRetryable(new HttpException('first 4xx', 400))).toBe(false);
  });

  it('does not retry a stack overflow: the same input overflows again', () => {
    const overflow = (depth: number): number => (depth === 0 ? 0 : 1 + overflow(depth - 1));
    let thrown: unknown;
    try {
      overflow(10_000_000);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RangeError);
    expect(isRetryable(thrown)).toBe(false);
    // Other RangeErrors are ordinary failures.
    expect(isRetryable(new RangeError('Invalid array length'))).toBe(true);
  });

  it('classifies by class, not by name: an Error merely named DecodeError is retried', () => {
    const impostor = new Error('looks like a decode error');
    impostor.name = 'DecodeError';
    expect(isRetryable(impostor)).toBe(true);
  });
});

const POLICY: RetryPolicy = { attempts: 3, delaysMs: [1_000, 5_000] };

describe('decideOnFailure', () => {
  it('retries a retryable error on its first failure with retry 1 and the first delay', () => {
    expect(decideOnFailure(new Error('ECONNREFUSED'), POLICY, 0)).toEqual({
      kind: 'retry',
      failure: { type: 'Error', message: 'ECONNREFUSED' },
      retry: 1,
      delayMs: 1_000,
    });
  });

  it('numbers the retry after the retries so far and takes its delay from the policy', () => {
    const second = decideOnFailure(new Error('down'), POLICY, 1);
    expect(second).toMatchObject({ kind: 'retry', retry: 2, delayMs: 5_000 });
    // Beyond the list, the last delay repeats.
    const third = decideOnFailure(new Error('down'), POLICY, 2);
    expect(third).toMatchObject({ kind: 'retry', retry: 3, delayMs: 5_000 });
  });

  it('dead-letters a retryable error once every retry was used, marked retryable', () => {
    expect(decideOnFailure(new Error('still down'), POLICY, 3)).toEqual({
      kind: 'dead-letter',
      failure: { type: 'Error', message: 'still down' },
      retryable: true,
    });
  });

  it('dead-letters when the retry count is already past the attempts', () => {
    expect(decideOnFailure(new Error('x'), POLICY, 10)).toMatchObject({ kind: 'dead-letter', retryable: true });
  });

  it('dead-letters a non-retryable error at once, even with retries left', () => {
    expect(decideOnFailure(new NonRetryableError('customer unknown'), POLICY, 0)).toEqual({
      kind: 'dead-letter',
      failure: { type: 'NonRetryableError', message: 'customer unknown' },
      retryable: false,
    });
  });

  it('dead-letters a decode error and a validation failure at once', () => {
    expect(decideOnFailure(new DecodeError('not JSON'), POLICY, 0)).toEqual({
      kind: 'dead-letter',
      failure: { type: 'DecodeError', message: 'not JSON' },
      retryable: false,
    });
    expect(decideOnFailure(new BadRequestException(['id must be a UUID']), POLICY, 1)).toEqual({
      kind: 'dead-letter',
      failure: { type: 'ValidationError', message: 'id must be a UUID' },
      retryable: false,
    });
  });

  it('dead-letters on the first failure when the policy allows no retries', () => {
    expect(decideOnFailure(new Error('x'), { attempts: 0, delaysMs: [] }, 0)).toEqual({
      kind: 'dead-letter',
      failure: { type: 'Error', message: 'x' },
      retryable: true,
    });
  });

  it('carries the failure description of a timeout and of a thrown string', () => {
    expect(decideOnFailure(new HandlerTimeoutError(250), POLICY, 0)).toMatchObject({
      kind: 'retry',
      failure: { type: 'HandlerTimeoutError', message: 'handler did not settle within 250 ms' },
    });
    expect(decideOnFailure('boom', POLICY, 0)).toMatchObject({
      kind: 'retry',
      failure: { type: 'NonErrorThrown', message: 'boom' },
    });
  });
});
