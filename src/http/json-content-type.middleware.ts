import { UnsupportedMediaTypeException } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

/** What a JSON endpoint accepts: `application/json` and the `+json` family (e.g. `application/merge-patch+json`). */
export const JSON_TYPES = ['application/json', 'application/*+json'];

/**
 * Every endpoint of this service takes JSON. A request that carries a body of another type (or
 * none declared) gets 415 before anything reads it, instead of an empty object that then fails
 * validation with misleading field errors.
 */
export function jsonContentTypeMiddleware(request: Request, _response: Response, next: NextFunction): void {
  if (hasBody(request) && !request.is(JSON_TYPES)) {
    next(new UnsupportedMediaTypeException(`Content-Type must be application/json, got '${contentTypeOf(request)}'`));
    return;
  }
  next();
}

/** As body-parser decides it: a chunked body, or a Content-Length above 0. */
function hasBody(request: Request): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** The declared type for the message, without parameters and bounded: it is caller-supplied text. */
function contentTypeOf(request: Request): string {
  const type = request.headers['content-type'];
  if (type === undefined) {
    return 'none';
  }
  return type
    .split(';')[0]
    .trim()
    .slice(0, 100)
    .replace(/[^\x20-\x7e]/g, '?');
}
