import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import helmet from 'helmet';
import type { AppConfig } from '../config/app-config.js';
import { correlationIdMiddleware } from '../rabbitmq/admin.js';
import { jsonBodyParserCallback } from './json-body-parser.js';
import { drainRefusedBody } from './refused-body-drain.js';
import { JSON_CONTENT_TYPES, unsupportedMediaType } from './json-content-type.js';

/**
 * The HTTP front of the app (Fastify), in the order requests meet it. Everything up to the body
 * parser runs before Nest's routing, so it also covers answers given early (malformed JSON 400,
 * 413, 415); errors go to Nest's exception layer, which answers them as it answers any other:
 * 1. the request id, so every response carries `x-request-id`, early 4xx included;
 * 2. standard security headers (helmet); Fastify sends no `X-Powered-By`;
 * 3. 415 for a body that is not JSON;
 * 4. the JSON body parser: size limit (413), then the structure guard (400) before `JSON.parse`;
 * 5. the handler runs inside the request's correlation scope again: the body arrives on stream
 *    callbacks, which do not carry the async context of step 1;
 * 6. a 413 drains the body it refused before the connection closes, so every client reads it.
 */
export function applyHttpHardening(app: NestFastifyApplication, config: AppConfig): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (request, reply, done) => correlationIdMiddleware(request.raw, reply.raw, done));
  app.use(helmet());
  fastify.addHook('onRequest', (request, _reply, done) => done(unsupportedMediaType(request.headers)));
  app.useBodyParser(
    JSON_CONTENT_TYPES as never,
    { bodyLimit: config.httpBodyLimitBytes },
    jsonBodyParserCallback({ maxDepth: config.httpBodyMaxDepth, maxMembers: config.httpBodyMaxMembers }) as never,
  );
  fastify.addHook('preHandler', (request, reply, done) => correlationIdMiddleware(request.raw, reply.raw, done));
  fastify.addHook('onSend', (request, reply, _payload, done) => {
    if (reply.statusCode === 413) {
      drainRefusedBody(request.raw, () => {
        reply.removeHeader('connection');
      });
    }
    done();
  });
}
