import type { IncomingHttpHeaders } from 'node:http';
import { UnsupportedMediaTypeException } from '@nestjs/common';

/**
 * What a JSON endpoint accepts: `application/json` and the `+json` family (e.g.
 * `application/merge-patch+json`), as Fastify content-type parsers (a RegExp is tested against
 * the media type, parameters removed).
 */
export const JSON_CONTENT_TYPES: (string | RegExp)[] = ['application/json', /^application\/[a-z0-9!#$&^_.-]+\+json$/];

/**
 * Every endpoint of this service takes JSON. A request that carries a body of another type (or
 * none declared) gets 415 before anything reads it, instead of an empty object that then fails
 * validation with misleading field errors. Undefined when the request is acceptable.
 */
export function unsupportedMediaType(headers: IncomingHttpHeaders): UnsupportedMediaTypeException | undefined {
  if (!hasBody(headers) || isJson(mediaTypeOf(headers))) {
    return undefined;
  }
  return new UnsupportedMediaTypeException(`Content-Type must be application/json, got '${describe(headers['content-type'])}'`);
}

/** A chunked body, or a Content-Length above 0 (as body-parser decides it). */
function hasBody(headers: IncomingHttpHeaders): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** `application/json; charset=utf-8` → `application/json`. */
export function mediaTypeOf(headers: IncomingHttpHeaders): string {
  return (headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

function isJson(mediaType: string): boolean {
  return JSON_CONTENT_TYPES.some((type) => (typeof type === 'string' ? type === mediaType : type.test(mediaType)));
}

/** The declared type for the message, without parameters and bounded: it is caller-supplied text. */
function describe(type: string | undefined): string {
  if (type === undefined) {
    return 'none';
  }
  return type
    .split(';')[0]
    .trim()
    .slice(0, 100)
    .replace(/[^\x20-\x7e]/g, '?');
}
