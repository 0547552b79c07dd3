import { describe, expect, it } from '@jest/globals';
import { JsonCodec } from './json.codec.js';

const codec = new JsonCodec();

describe('JsonCodec', () => {
  it('writes application/json as UTF-8', () => {
    expect(codec.contentType).toBe('application/json');
    expect(codec.encode({ note: 'é' }).toString('utf8')).toBe('{"note":"é"}');
  });

  it('round-trips nested objects, arrays and unicode', () => {
    const payload = { a: [1, { b: ['c', null] }], name: 'Zoë 東京 🐇' };
    expect(codec.decode(codec.encode(payload))).toEqual(payload);
  });

  it('encodes undefined as null, so a body is always valid JSON', () => {
    expect(codec.encode(undefined).toString()).toBe('null');
  });

  it('throws on a body that is not JSON', () => {
    expect(() => codec.decode(Buffer.from('{'))).toThrow();
  });
});
