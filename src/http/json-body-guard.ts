import type { IncomingMessage } from 'node:http';
import { type JsonStructureLimits, jsonStructureViolation } from '../rabbitmq/codec/json-structure-guard.js';

/**
 * A request body whose JSON is too deep or too wide. Shaped like the http-errors that body-parser
 * raises itself (status, expose), so Nest answers it as a plain 400 with this message and logs
 * nothing: a flood of hostile bodies must not become a flood of stack traces.
 */
export class JsonBodyStructureError extends Error {
  override readonly name = 'JsonBodyStructureError';
  readonly status = 400;
  readonly statusCode = 400;
  readonly expose = true;
  readonly type = 'entity.structure.refused';
}

/**
 * body-parser `verify` hook: runs the iterative structure guard on the raw bytes **before**
 * `JSON.parse`, class-transformer and class-validator (all of them recursive: a 262 KB body
 * nested 131,000 levels overflows their stacks, and a flood of them stalls the event loop).
 */
export function jsonBodyGuard(limits: JsonStructureLimits): (request: IncomingMessage, response: unknown, body: Buffer, encoding: string) => void {
  return (_request, _response, body, encoding) => {
    const violation = jsonStructureViolation(bodyText(body, encoding), limits);
    if (violation !== undefined) {
      throw new JsonBodyStructureError(`request body refused: ${violation}`);
    }
  };
}

/**
 * The body as text for the structure scan. For UTF-8 (nearly every request) latin1 is enough and
 * cheapest: the characters the scan looks at ({ } [ ] , " \) are ASCII, and no byte of a UTF-8
 * multi-byte sequence is below 0x80, so the scan sees exactly what the JSON parser will.
 */
function bodyText(body: Buffer, encoding: string): string {
  const charset = encoding.toLowerCase();
  if (charset === 'utf-8' || charset === 'utf8') {
    return body.toString('latin1');
  }
  return new TextDecoder(charset).decode(body);
}
