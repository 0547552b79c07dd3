import type { IncomingHttpHeaders } from 'node:http';
import { BadRequestException, UnsupportedMediaTypeException } from '@nestjs/common';
import { refusePrototypeKeys } from './prototype-keys.js';
import { type JsonStructureLimits, jsonStructureViolation } from '../rabbitmq/admin.js';

/**
 * A request body whose JSON is too deep or too wide. Shaped like an http-error (status, expose),
 * so Nest answers it as a plain 400 with this message and logs nothing: a flood of hostile
 * bodies must not become a flood of stack traces.
 */
export class JsonBodyStructureError extends Error {
  override readonly name = 'JsonBodyStructureError';
  readonly status = 400;
  readonly statusCode = 400;
  readonly expose = true;
  readonly type = 'entity.structure.refused';
}

/**
 * The JSON body parser (a Fastify content-type parser, given the raw bytes after the size
 * limit): runs the iterative structure guard **before** `JSON.parse`, class-transformer and
 * class-validator (all of them recursive: a 262 KB body nested 131,000 levels overflows their
 * stacks, and a flood of them stalls the event loop). An empty body reads as `{}` (validation
 * then names the missing fields); malformed JSON is a 400, and so is a `__proto__` or
 * `constructor` key (refusePrototypeKeys).
 */
export function jsonBodyParser(limits: JsonStructureLimits): (request: { headers: IncomingHttpHeaders }, body: Buffer) => unknown {
  return (request, body) => {
    if (body.length === 0) {
      return {};
    }
    const text = bodyText(body, charsetOf(request.headers['content-type']));
    const violation = jsonStructureViolation(text.scan, limits);
    if (violation !== undefined) {
      throw new JsonBodyStructureError(`request body refused: ${violation}`);
    }
    const json = text.json();
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      throw new BadRequestException('request body is not valid JSON');
    }
    refusePrototypeKeys(json, parsed);
    return parsed;
  };
}

function charsetOf(contentType: string | undefined): string {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '');
  return (match?.[1] ?? 'utf-8').toLowerCase();
}

/**
 * The body as text: for the structure scan and for JSON.parse. For UTF-8 (nearly every request)
 * latin1 is enough for the scan and cheapest: the characters it looks at ({ } [ ] , " \) are
 * ASCII, and no byte of a UTF-8 multi-byte sequence is below 0x80, so the scan sees exactly what
 * the JSON parser will. Other charsets are decoded first (an unknown one is a 415).
 */
function bodyText(body: Buffer, charset: string): { scan: string; json: () => string } {
  if (charset === 'utf-8' || charset === 'utf8') {
    return { scan: body.toString('latin1'), json: () => body.toString('utf8') };
  }
  let decoded: string;
  try {
    decoded = new TextDecoder(charset).decode(body);
  } catch {
    throw new UnsupportedMediaTypeException(`unsupported charset '${charset.slice(0, 40).replace(/[^\x20-\x7e]/g, '?')}'`);
  }
  return { scan: decoded, json: () => decoded };
}

/** The parser in Fastify's callback form (what `useBodyParser` takes): the result or the error goes to `done`. */
export function jsonBodyParserCallback(
  limits: JsonStructureLimits,
): (request: { headers: IncomingHttpHeaders }, body: Buffer, done: (error: Error | null, body?: unknown) => void) => void {
  const parse = jsonBodyParser(limits);
  return (request, body, done) => {
    let parsed: unknown;
    try {
      parsed = parse(request, body);
    } catch (error) {
      done(error as Error);
      return;
    }
    done(null, parsed);
  };
}
