import { describe, expect, it } from '@jest/globals';
import { BadRequestException, HttpException, HttpStatus, NotFoundException } from '@nestjs/common';
import { MAX_ERROR_MESSAGE_LENGTH } from '../rabbitmq.constants.js';
import { NonRetryableError } from '../errors/non-retryable.error.js';
import { describeFailure } from './failure-description.js';

class PaymentDeclinedError extends Error {
  override readonly name = 'PaymentDeclinedError';
}

class UnnamedError extends Error {}

/** A team's subclasses, as the README shows them: no `name` of their own. */
class OrderWithoutCustomer extends NonRetryableError {}
class CardDeclined extends Error {}
class CardExpired extends CardDeclined {}

describe('describeFailure', () => {
  it('uses the name and message of an Error', () => {
    expect(describeFailure(new Error('boom'))).toEqual({ type: 'Error', message: 'boom' });
    expect(describeFailure(new TypeError('x is not a function'))).toEqual({
      type: 'TypeError',
      message: 'x is not a function',
    });
  });

  it('uses the name of an Error subclass', () => {
    expect(describeFailure(new PaymentDeclinedError('card expired'))).toEqual({
      type: 'PaymentDeclinedError',
      message: 'card expired',
    });
  });

  it('names a subclass that sets no name by its class, not by the name it inherits', () => {
    expect(describeFailure(new OrderWithoutCustomer('no customer')).type).toBe('OrderWithoutCustomer');
    expect(describeFailure(new CardDeclined('declined')).type).toBe('CardDeclined');
    expect(describeFailure(new CardExpired('expired')).type).toBe('CardExpired');
    expect(describeFailure(new NonRetryableError('no')).type).toBe('NonRetryableError');
  });

  it('keeps a name the code chose over the class name', () => {
    const aborted = new Error('aborted');
    aborted.name = 'AbortError';
    expect(describeFailure(aborted).type).toBe('AbortError');
    const renamed = new CardDeclined('declined');
    renamed.name = 'PaymentError';
    expect(describeFailure(renamed).type).toBe('PaymentError');
  });

  it('falls back to the constructor name when name is empty', () => {
    const error = new UnnamedError('odd');
    error.name = '';
    expect(describeFailure(error)).toEqual({ type: 'UnnamedError', message: 'odd' });
  });

  it('reports a ValidationPipe rejection as ValidationError with the joined field messages', () => {
    const error = new BadRequestException(['email must be an email', 'quantity must not be less than 1']);
    expect(describeFailure(error)).toEqual({
      type: 'ValidationError',
      message: 'email must be an email; quantity must not be less than 1',
    });
  });

  it('reports a BadRequestException with a string message as ValidationError', () => {
    expect(describeFailure(new BadRequestException('orderId is required'))).toEqual({
      type: 'ValidationError',
      message: 'orderId is required',
    });
  });

  it('reports a 400 HttpException with a string response as ValidationError', () => {
    const described = describeFailure(new HttpException('bad input', HttpStatus.BAD_REQUEST));
    expect(described.type).toBe('ValidationError');
    expect(described.message).toBe('bad input');
  });

  it('reports other HTTP exceptions by their class name', () => {
    expect(describeFailure(new NotFoundException('no such order'))).toEqual({
      type: 'NotFoundException',
      message: 'no such order',
    });
  });

  it('truncates a long message to MAX_ERROR_MESSAGE_LENGTH', () => {
    const described = describeFailure(new Error('x'.repeat(MAX_ERROR_MESSAGE_LENGTH * 3)));
    expect(described.message).toHaveLength(MAX_ERROR_MESSAGE_LENGTH);
    expect(described.message.endsWith('…')).toBe(true);
    expect(described.message.startsWith('x'.repeat(MAX_ERROR_MESSAGE_LENGTH - 1))).toBe(true);
  });

  it('keeps a message of exactly MAX_ERROR_MESSAGE_LENGTH intact', () => {
    const message = 'y'.repeat(MAX_ERROR_MESSAGE_LENGTH);
    expect(describeFailure(new Error(message)).message).toBe(message);
  });

  it('truncates long joined validation messages too', () => {
    const messages = Array.from({ length: 200 }, (_, i) => `field${i} must be a string`);
    const described = describeFailure(new BadRequestException(messages));
    expect(described.type).toBe('ValidationError');
    expect(described.message).toHaveLength(MAX_ERROR_MESSAGE_LENGTH);
    expect(described.message.startsWith('field0 must be a string; field1 must be a string')).toBe(true);
  });

  it('describes thrown values that are not Errors', () => {
    expect(describeFailure('plain string')).toEqual({ type: 'NonErrorThrown', message: 'plain string' });
    expect(describeFailure(42)).toEqual({ type: 'NonErrorThrown', message: '42' });
    expect(describeFailure({ code: 'E1' })).toEqual({ type: 'NonErrorThrown', message: '{"code":"E1"}' });
    expect(describeFailure(null)).toEqual({ type: 'NonErrorThrown', message: 'null' });
    expect(describeFailure(undefined)).toEqual({ type: 'NonErrorThrown', message: 'undefined' });
  });

  it('does not throw on values JSON cannot serialise', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(describeFailure(circular)).toEqual({ type: 'NonErrorThrown', message: '[object Object]' });
    expect(describeFailure(10n)).toEqual({ type: 'NonErrorThrown', message: '10' });
    expect(describeFailure(Symbol('s'))).toEqual({ type: 'NonErrorThrown', message: 'Symbol(s)' });
  });

  it('truncates a long non-Error value', () => {
    expect(describeFailure('z'.repeat(5000)).message).toHaveLength(MAX_ERROR_MESSAGE_LENGTH);
  });
});
