import { describe, expect, it } from '@jest/globals';
import { BadRequestException } from '@nestjs/common';
import { DecodeError } from '../errors/decode.error.js';
import { HandlerTimeoutError } from '../errors/handler-timeout.error.js';
import { NonRetryableError } from '../errors/non-retryable.error.js';
import type { RetryPolicy } from './retry-policy.js';
import { decideOnFailure } from './failure-decision.js';

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
