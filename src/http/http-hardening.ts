import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';
import type { AppConfig } from '../config/app-config.js';
import { correlationIdMiddleware } from '../rabbitmq/admin.js';
import { jsonBodyGuard } from './json-body-guard.js';
import { JSON_TYPES, jsonContentTypeMiddleware } from './json-content-type.middleware.js';

/**
 * The HTTP front of the app, in the order requests meet it. Everything here runs before Nest's
 * routing, so it also covers answers given early (malformed JSON 400, 413, 415):
 * 1. the request id, so every response carries `x-request-id`, early 4xx included;
 * 2. standard security headers (helmet), and no `X-Powered-By`;
 * 3. 415 for a body that is not JSON;
 * 4. the JSON body parser: size limit (413), then the structure guard (400) before `JSON.parse`.
 */
export function applyHttpHardening(app: INestApplication, config: AppConfig): void {
  const expressApp = app as NestExpressApplication;
  expressApp.disable('x-powered-by');
  expressApp.use(correlationIdMiddleware);
  expressApp.use(helmet());
  expressApp.use(jsonContentTypeMiddleware);
  // Nest's types reserve `verify` for its `rawBody: true` mode (which replaces it); this app does
  // not use that mode, and Nest hands the option to express.json() unchanged.
  const jsonOptions = {
    limit: config.httpBodyLimitBytes,
    // The types the 415 check lets through, so none of them reaches a handler unparsed.
    type: JSON_TYPES,
    verify: jsonBodyGuard({ maxDepth: config.httpBodyMaxDepth, maxMembers: config.httpBodyMaxMembers }),
  };
  expressApp.useBodyParser('json', jsonOptions);
}
