import { describe, expect, it } from '@jest/globals';
import { readEnvelope } from './nest-envelope.js';

describe('readEnvelope', () => {
  it('treats a plain JSON object as the payload, with no pattern', () => {
    const body = { orderId: 'o-1', total: 12 };
    const envelope = readEnvelope(body);
    expect(envelope).toEqual({ data: body });
    expect(envelope.pattern).toBeUndefined();
    expect(envelope.data).toBe(body);
  });

  it("unwraps Nest's {pattern, data} body", () => {
    const data = { orderId: 'o-1' };
    const envelope = readEnvelope({ pattern: 'order.created', data });
    expect(envelope).toEqual({ pattern: 'order.created', data });
    expect(envelope.data).toBe(data);
  });

  it('unwraps {pattern, data, id} and drops the id', () => {
    const envelope = readEnvelope({ pattern: 'order.created', data: { orderId: 'o-1' }, id: 'abc' });
    expect(envelope).toEqual({ pattern: 'order.created', data: { orderId: 'o-1' } });
    expect(envelope).not.toHaveProperty('id');
  });

  it('unwraps an envelope whose data is null or missing-valued', () => {
    expect(readEnvelope({ pattern: 'ping', data: null })).toEqual({ pattern: 'ping', data: null });
    expect(readEnvelope({ pattern: 'ping', data: undefined })).toEqual({ pattern: 'ping', data: undefined });
  });

  it('treats an object with keys beyond pattern, data and id as a plain payload', () => {
    const body = { pattern: 'order.created', data: { orderId: 'o-1' }, extra: true };
    const envelope = readEnvelope(body);
    expect(envelope.pattern).toBeUndefined();
    expect(envelope.data).toBe(body);
  });

  it('treats {pattern} without data as a plain payload', () => {
    const body = { pattern: 'order.created' };
    expect(readEnvelope(body)).toEqual({ data: body });
  });

  it('treats an object whose pattern is not a string as a plain payload', () => {
    for (const pattern of [42, null, { cmd: 'sum' }, ['a'], undefined]) {
      const body = { pattern, data: { x: 1 } };
      const envelope = readEnvelope(body);
      expect(envelope.pattern).toBeUndefined();
      expect(envelope.data).toBe(body);
    }
  });

  it('passes arrays, null and scalars through as the payload', () => {
    const array = [{ pattern: 'a', data: 1 }];
    expect(readEnvelope(array)).toEqual({ data: array });
    expect(readEnvelope(array).data).toBe(array);
    expect(readEnvelope(null)).toEqual({ data: null });
    expect(readEnvelope('text')).toEqual({ data: 'text' });
    expect(readEnvelope(7)).toEqual({ data: 7 });
    expect(readEnvelope(undefined)).toEqual({ data: undefined });
  });
});
