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
import { UnknownCodecError } from '../errors/unknown-codec.error.js';
import { DependencyUnavailableError } from '../errors/dependency-unavailable.error.js';
import { PublishBufferFullError, PublisherClosedError, PublishTimeoutError } from '../errors/publish.errors.js';
import { RequestTimeoutError } from '../errors/request.errors.js';
import { classifyFailure, decideOnFailure, isRetryable, killSwitchSignal } from './failure-policy.js';
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
  });

  it.each([
    ['TypeError (null payload read)', caught(() => (null as unknown as { orderId: string }).orderId)],
    ['ReferenceError', new ReferenceError('notDefinedAnywhere is not defined')],
    ['SyntaxError', caught(() => JSON.parse('{'))],
    ['RangeError', new RangeError('Invalid array length')],
    ['an onward event that cannot be encoded (BigInt)', caught(() => JSON.stringify({ amount: 10n }))],
    ['UnknownCodecError', new UnknownCodecError('unknown codec')],
  ])('parks a programming error at once: %s', (_case, error) => {
    expect(error).toBeInstanceOf(Error);
    expect(classifyFailure(error)).toBe('poison');
    expect(decideOnFailure(error, POLICY, 0)).toMatchObject({ kind: 'dead-letter', retryable: false, dependencyDown: false });
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
      dependencyDown: false,
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
      dependencyDown: false,
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
      dependencyDown: false,
    });
  });

  it('dead-letters a decode error and a validation failure at once', () => {
    expect(decideOnFailure(new DecodeError('not JSON'), POLICY, 0)).toEqual({
      kind: 'dead-letter',
      failure: { type: 'DecodeError', message: 'not JSON' },
      retryable: false,
      dependencyDown: false,
    });
    expect(decideOnFailure(new BadRequestException(['id must be a UUID']), POLICY, 1)).toEqual({
      kind: 'dead-letter',
      failure: { type: 'ValidationError', message: 'id must be a UUID' },
      retryable: false,
      dependencyDown: false,
    });
  });

  it('dead-letters on the first failure when the policy allows no retries', () => {
    expect(decideOnFailure(new Error('x'), { attempts: 0, delaysMs: [] }, 0)).toEqual({
      kind: 'dead-letter',
      failure: { type: 'Error', message: 'x' },
      retryable: true,
      dependencyDown: false,
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

function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected it to throw');
}

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('classifyFailure: what means a dependency is down', () => {
  it.each([
    ['a refused connection (code ECONNREFUSED)', withCode('connect ECONNREFUSED 10.0.0.7:25', 'ECONNREFUSED')],
    ['a reset connection', withCode('read ECONNRESET', 'ECONNRESET')],
    ['a connect timeout', withCode('connect ETIMEDOUT', 'ETIMEDOUT')],
    ['PostgreSQL shutting down (pg, SQLSTATE 57P01)', withCode('terminating connection due to administrator command', '57P01')],
    [
      "fetch()'s TypeError caused by a refused connection",
      new TypeError('fetch failed', { cause: withCode('connect ECONNREFUSED', 'ECONNREFUSED') }),
    ],
    [
      'a wrapper two causes above the refused connection',
      new Error('mail failed', { cause: new Error('pool', { cause: withCode('x', 'EHOSTUNREACH') }) }),
    ],
    ['a thrown object with a connection code (not an Error)', { code: 'ECONNREFUSED' }],
    ['AbortSignal.timeout()', new DOMException('The operation was aborted due to timeout', 'TimeoutError')],
    ['the handler timeout', new HandlerTimeoutError(30_000)],
    ['a request to another service timing out', new RequestTimeoutError('inventory.stock', 5_000)],
    ['the broker refusing an onward publish', new PublishTimeoutError('no channel')],
    ['a full publish buffer', new PublishBufferFullError('full')],
    ['what the team marks: DependencyUnavailableError', new DependencyUnavailableError('smtp 421: service not available')],
  ])('%s', (_case, error) => {
    expect(classifyFailure(error)).toBe('dependency-down');
    expect(decideOnFailure(error, POLICY, 0)).toMatchObject({ kind: 'retry', dependencyDown: true });
    expect(decideOnFailure(error, POLICY, 3)).toMatchObject({ kind: 'dead-letter', retryable: true, dependencyDown: true });
  });

  it.each([
    ['a plain Error', new Error('downstream said no')],
    ['a 5xx', new InternalServerErrorException()],
    ['an unknown code', withCode('x', 'E_SOMETHING')],
    ['the publisher closed for shutdown', new PublisherClosedError('closed')],
  ])('not %s: retried, but it says nothing about a dependency', (_case, error) => {
    expect(classifyFailure(error)).toBe('retryable');
  });

  it('stops following causes after a few levels (a cycle does not loop)', () => {
    const cyclic = new Error('a');
    (cyclic as { cause?: unknown }).cause = cyclic;
    expect(classifyFailure(cyclic)).toBe('retryable');
  });
});

describe('killSwitchSignal', () => {
  const failure = { type: 'Error', message: 'x' };

  it('counts an ack as a success and a dependency failure as a failure', () => {
    expect(killSwitchSignal({ kind: 'ack' })).toBe('success');
    expect(killSwitchSignal({ kind: 'retry', failure, retry: 1, delayMs: 1, dependencyDown: true })).toBe('failure');
    expect(killSwitchSignal({ kind: 'dead-letter', failure, retryable: true, dependencyDown: true })).toBe('failure');
    expect(killSwitchSignal({ kind: 'ack', failedRequest: { dependencyDown: true } })).toBe('failure');
  });

  it('ignores poison and ordinary failures: invalid events never pause the queue for valid ones', () => {
    expect(killSwitchSignal(decideOnFailure(new TypeError("Cannot read properties of null (reading 'orderId')"), POLICY, 0))).toBeUndefined();
    expect(killSwitchSignal(decideOnFailure(new BadRequestException(['payload must be a JSON object']), POLICY, 0))).toBeUndefined();
    expect(killSwitchSignal(decideOnFailure(new Error('bug'), POLICY, 0))).toBeUndefined();
    expect(killSwitchSignal({ kind: 'ack', failedRequest: { dependencyDown: false } })).toBeUndefined();
  });
});
