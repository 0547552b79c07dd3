import { describe, expect, it } from '@jest/globals';
import { JsonBodyStructureError, jsonBodyGuard } from './json-body-guard.js';

const guard = jsonBodyGuard({ maxDepth: 3, maxMembers: 4 });
const check = (text: string, encoding = 'utf-8') => guard({} as never, {}, Buffer.from(text, encoding === 'utf-16le' ? 'utf16le' : 'utf8'), encoding);

describe('jsonBodyGuard', () => {
  it('lets bodies within the limits through, multi-byte UTF-8 and escaped quotes included', () => {
    expect(() => check('{"a":[{"b":"é[[[[ \\" {{{{ 😀"}]}')).not.toThrow();
    expect(() => check('[1,2,3,4]')).not.toThrow();
  });

  it('refuses a body nested too deep as an http-error shaped 400, which Nest answers without logging', () => {
    let thrown: unknown;
    try {
      check('{"a":[[[1]]]}');
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
    expect(() => check('[1,2,3,4,5]')).toThrow('request body refused: a JSON array or object has more than 4 members');
  });

  it('scans other Unicode charsets after decoding them', () => {
    expect(() => check('[[[[1]]]]', 'utf-16le')).toThrow(/deeper than 3/);
    expect(() => check('["é"]', 'utf-16le')).not.toThrow();
  });
});
