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

  it('refuses invalid UTF-8 instead of replacing it (which would change an id silently)', () => {
    const body = Buffer.concat([Buffer.from('{"orderId":"ord-'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    expect(() => codec.decode(body)).toThrow('invalid UTF-8');
    // A truncated multi-byte sequence is invalid too.
    expect(() => codec.decode(Buffer.from([0x22, 0xe6, 0x9d, 0x22]))).toThrow('invalid UTF-8');
  });

  it('refuses nesting deeper than 64 levels by default, before parsing', () => {
    const at64 = `${'['.repeat(64)}${']'.repeat(64)}`;
    expect(() => codec.decode(Buffer.from(at64))).not.toThrow();
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(() => codec.decode(Buffer.from(deep))).toThrow('JSON nests deeper than 64 levels');
  });

  it('takes its depth limit from the constructor', () => {
    const shallow = new JsonCodec({ maxDepth: 2 });
    expect(shallow.decode(Buffer.from('{"a":[1]}'))).toEqual({ a: [1] });
    expect(() => shallow.decode(Buffer.from('{"a":[{"b":1}]}'))).toThrow('deeper than 2 levels');
  });

  it('does not count brackets inside strings as nesting', () => {
    const shallow = new JsonCodec({ maxDepth: 1 });
    expect(shallow.decode(Buffer.from('{"note":"[[[[{{{{ \\" [[["}'))).toEqual({ note: '[[[[{{{{ " [[[' });
  });
});
