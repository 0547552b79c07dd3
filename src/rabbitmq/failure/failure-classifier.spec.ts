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
import { isRetryable } from './failure-classifier.js';

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
