import { describe, expect, it } from '@jest/globals';
import { type ArgumentMetadata, BadRequestException } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsArray, IsInt, IsString, ValidateNested } from 'class-validator';
import { isRetryable } from '../failure/failure-policy.js';
import { describeFailure } from '../failure/failure-description.js';
import { EventPayloadPipe } from './event-payload.pipe.js';

class LineDto {
  @IsString()
  sku!: string;
}

class OrderEventDto {
  @IsString()
  orderId!: string;

  @IsInt()
  quantity!: number;

  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => LineDto)
  lines!: LineDto[];
}

const pipe = new EventPayloadPipe();
const payload = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({ type: 'body', metatype, data: undefined });

async function rejectionOf(value: unknown, metadata = payload(OrderEventDto)): Promise<BadRequestException> {
  try {
    await pipe.transform(value, metadata);
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestException);
    return error as BadRequestException;
  }
  throw new Error(`expected ${JSON.stringify(value)} to be rejected`);
}

describe('EventPayloadPipe', () => {
  it('strips fields the DTO does not declare, at every level, instead of rejecting them', async () => {
    const event = { orderId: 'o-1', quantity: 2, lines: [{ sku: 's-1', colour: 'red' }], createdAt: '2026-01-01', v: 2 };
    const result = await pipe.transform(event, payload(OrderEventDto));
    expect(result).toBeInstanceOf(OrderEventDto);
    expect(result).toEqual({ orderId: 'o-1', quantity: 2, lines: [{ sku: 's-1' }] });
  });

  it('rejects a missing or mistyped field with its message: a non-retryable ValidationError', async () => {
    const error = await rejectionOf({ orderId: 'o-1', lines: [] });
    expect(isRetryable(error)).toBe(false);
    expect(describeFailure(error)).toEqual({ type: 'ValidationError', message: expect.stringContaining('quantity must be an integer') });
  });

  it.each([
    ['a string', 'str', 'a string'],
    ['a number', 42, 'a number'],
    ['an array', [], 'an array'],
    ['null', null, 'null'],
    ['a boolean', true, 'a boolean'],
  ])('rejects %s where the DTO expects an object', async (_case, value, kind) => {
    const error = await rejectionOf(value);
    expect(describeFailure(error).message).toBe(`payload must be a JSON object (OrderEventDto), got ${kind}`);
  });

  it('passes payloads of parameters typed as a primitive, an interface or the context untouched', async () => {
    // Synchronously: no promise per message for what is not validated.
    expect(pipe.transform('str', payload(String))).toBe('str');
    expect(pipe.transform([1], payload(Object))).toEqual([1]);
    expect(pipe.transform(null, payload(undefined))).toBeNull();
    expect(pipe.transform(7, { type: 'custom', metatype: OrderEventDto, data: undefined })).toBe(7);
  });

  it('turns an error raised while transforming (a stack overflow) into a ValidationError', async () => {
    let deep: Record<string, unknown> = { sku: 'leaf' };
    for (let i = 0; i < 50_000; i++) {
      deep = { sku: 'x', child: [deep] };
    }
    class Recursive {
      @ValidateNested({ each: true })
      @Type(() => Recursive)
      child!: Recursive[];
    }
    const error = await rejectionOf(deep, payload(Recursive));
    expect(describeFailure(error).message).toMatch(/^payload could not be validated: RangeError: Maximum call stack size exceeded/);
    expect(isRetryable(error)).toBe(false);
  });
});
