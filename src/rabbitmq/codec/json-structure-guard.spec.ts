import { jsonStructureViolation } from './json-structure-guard.js';

const limits = { maxDepth: 4, maxMembers: 5 };

describe('jsonStructureViolation', () => {
  it('accepts JSON within the limits', () => {
    expect(jsonStructureViolation('{"a":[1,2,{"b":[3]}]}', limits)).toBeUndefined();
    expect(jsonStructureViolation('"plain"', limits)).toBeUndefined();
    expect(jsonStructureViolation('[1,2,3,4,5]', limits)).toBeUndefined();
  });

  it('refuses nesting deeper than maxDepth', () => {
    expect(jsonStructureViolation('[[[[[1]]]]]', limits)).toBe('JSON nests deeper than 4 levels');
    expect(jsonStructureViolation('[[[[1]]]]', limits)).toBeUndefined();
  });

  it('refuses a 100k-deep array quickly and without recursion', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(jsonStructureViolation(deep, { maxDepth: 64, maxMembers: 10_000 })).toMatch(/deeper than 64/);
  });

  it('refuses a container with too many members', () => {
    expect(jsonStructureViolation('[1,2,3,4,5,6]', limits)).toBe('a JSON array or object has more than 5 members');
    expect(jsonStructureViolation('{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6}', limits)).toMatch(/more than 5 members/);
  });

  it('counts members per container, not across siblings', () => {
    expect(jsonStructureViolation('[[1,2,3],[1,2,3],[1,2,3]]', limits)).toBeUndefined();
  });

  it('ignores brackets, commas and escaped quotes inside strings', () => {
    expect(jsonStructureViolation('{"a":"[[[[[[,,,,,,\\"[[[[[["}', limits)).toBeUndefined();
    expect(jsonStructureViolation('["\\\\",[[[[1]]]]]', limits)).toMatch(/deeper than 4/);
  });
});
