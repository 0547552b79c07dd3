/**
 * Bounds on the shape of a JSON text, checked by one iterative scan **before** `JSON.parse` or any
 * recursive code (class-transformer, class-validator, our own walkers) touches it. A 262 KB body
 * can nest 131,000 levels deep: parsing it is cheap, but every recursive walker after the parse
 * overflows the stack, and a flood of such bodies stalls the event loop. Shared by the HTTP body
 * parser and the consume-side JSON codec, so both refuse the same inputs for the same reason.
 */
export interface JsonStructureLimits {
  /** Deepest nesting of arrays and objects allowed (the top-level value counts as depth 1). */
  readonly maxDepth: number;
  /** Most members of one array or object allowed. */
  readonly maxMembers: number;
}

const OPEN_BRACE = 0x7b; // {
const OPEN_BRACKET = 0x5b; // [
const CLOSE_BRACE = 0x7d; // }
const CLOSE_BRACKET = 0x5d; // ]
const COMMA = 0x2c; // ,
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/**
 * Returns why `text` exceeds `limits`, or `undefined` when it does not. It does not validate the
 * JSON (the parser that follows does that); it only counts containers and separators outside
 * strings, in one pass with memory bounded by `maxDepth`.
 */
export function jsonStructureViolation(text: string, limits: JsonStructureLimits): string | undefined {
  // members[d] = separators seen so far in the container open at depth d (+1 = its members).
  const members: number[] = [];
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) {
        i++; // the escaped character can never end the string
      } else if (c === QUOTE) {
        inString = false;
      }
      continue;
    }
    if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      if (depth > limits.maxDepth) {
        return `JSON nests deeper than ${limits.maxDepth} levels`;
      }
      members[depth] = 0;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth = Math.max(0, depth - 1);
    } else if (c === COMMA && depth > 0) {
      members[depth] += 1;
      if (members[depth] >= limits.maxMembers) {
        return `a JSON array or object has more than ${limits.maxMembers} members`;
      }
    }
  }
  return undefined;
}
