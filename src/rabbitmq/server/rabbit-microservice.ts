import type { INestApplication, INestMicroservice } from '@nestjs/common';
import { type IEntryNestModule, NestFactory } from '@nestjs/core';
import type { AsyncMicroserviceOptions } from '@nestjs/microservices';
import { RabbitServer } from './rabbit-server.js';

/** What `NestFactory.createMicroservice` takes besides the transport (logger, abortOnError…). */
type MicroserviceContextOptions = NonNullable<Parameters<typeof NestFactory.createMicroservice>[1]>;

/**
 * Attaches warren's transport to an HTTP app: `app.connectMicroservice({ strategy: app.get(RabbitServer) },
 * { inheritAppConfig: false })`, with Nest binding the handlers there and then. The app's global pipes,
 * filters, guards and interceptors are HTTP's (HTTP input is strict, events are read tolerantly by
 * `@HandleEvent`'s own pipe); give a handler what it needs with `@UseGuards()` and the like on its class or
 * method. Bound this way, warren knows nothing global runs around a handler, so one with nothing of its own
 * is called directly (DirectInvocation); connected any other way, every handler runs through Nest's
 * pipeline (same behaviour, more CPU per message).
 */
export function connectRabbitServer(app: INestApplication): INestMicroservice {
  const server = app.get(RabbitServer);
  return server.bindHandlers(app, () => app.connectMicroservice({ strategy: server }, { inheritAppConfig: false }));
}

/**
 * A microservice with no HTTP app, on warren's transport (the RabbitMQModule must be imported by
 * `module`), initialised: its handlers are bound before it is returned, so its `useGlobal*()` have no
 * effect on them (use `APP_GUARD` and the like providers, or enhancers on the handler classes). Call
 * `listen()` to start consuming. As with connectRabbitServer, a handler with nothing around it is called
 * directly.
 */
export async function createRabbitMicroservice(module: IEntryNestModule, options: MicroserviceContextOptions = {}): Promise<INestMicroservice> {
  const app = await NestFactory.createMicroservice<AsyncMicroserviceOptions>(module, {
    ...options,
    inject: [RabbitServer],
    useFactory: (server: RabbitServer) => ({ strategy: server }),
  });
  await app.get(RabbitServer).bindHandlers(app, () => app.init());
  return app;
}
