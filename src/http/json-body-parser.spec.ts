import { describe, expect, it } from '@jest/globals';
import { JsonBodyStructureError, jsonBodyParser } from './json-body-parser.js';

const parse = jsonBodyParser({ maxDepth: 3, maxMembers: 4 });
const parseAs = (text: string, contentType = 'application/json') =>
  parse({ headers: { 'content-type': contentType } } as never, Buffer.from(text, /utf-16le/.test(contentType) ? 'utf16le' : 'utf8'));

describe('jsonBodyParser', () => {
  it('parses bodies within the limits, multi-byte UTF-8 and escaped quotes included', () => {
    expect(parseAs('{"a":[{"b":"é[[[[ \\" {{{{ 😀"}]}')).toEqual({ a: [{ b: 'é[[[[ " {{{{ 😀' }] });
    expect(parseAs('[1,2,3,4]', 'application/json; charset=utf-8')).toEqual([1, 2, 3, 4]);
  });

  it('reads an empty body as {} (validation then names the missing fields)', () => {
    expect(parseAs('')).toEqual({});
  });

  it('refuses a body nested too deep as an http-error shaped 400, which Nest answers without logging', () => {
    let thrown: unknown;
    try {
      parseAs('{"a":[[[1]]]}');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(JsonBodyStructureError);
    expect(thrown).toMatchObject({
      status: 400,
      statusCode: 400,
      expose: true,
      message: 'request body refused: JSON nests deeper than 3 levels',
    });
  });

  it('refuses too many members in one container', () => {
    expect(() => parseAs('[1,2,3,4,5]')).toThrow('request body refused: a JSON array or object has more than 4 members');
  });

  it('answers malformed JSON with a 400', () => {
    expect(() => parseAs('{"a":')).toThrow(expect.objectContaining({ message: 'request body is not valid JSON' }) as never);
  });

  it('refuses a __proto__ or constructor key at any depth, escaped or not, as the ValidationPipe refuses an unknown field', () => {
    for (const body of ['{"__proto__":{"x":1}}', '{"a":[{"constructor":1}]}', '{"\\u005f_proto__":1}', '{"a":{"\\u0063onstructor":1}}']) {
      expect(() => parseAs(body)).toThrow(
        expect.objectContaining({
          status: 400,
          response: expect.objectContaining({ message: [expect.stringMatching(/^property (__proto__|constructor) should not exist$/)] }),
        }) as never,
      );
    }
    expect(parseAs('{"a":"\\u00e9 constructor __proto__","b":{"proto":1}}')).toEqual({ a: 'é constructor __proto__', b: { proto: 1 } });
  });

  it('scans other Unicode charsets after decoding them, and refuses an unknown charset with a 415', () => {
    expect(() => parseAs('[[[[1]]]]', 'application/json; charset=utf-16le')).toThrow(/deeper than 3/);
    expect(parseAs('["é"]', 'application/json; charset=utf-16le')).toEqual(['é']);
    expect(() => parseAs('[]', 'application/json; charset=klingon')).toThrow(
      expect.objectContaining({ message: "unsupported charset 'klingon'" }) as never,
    );
  });
});
