import type { DynamicModule } from '@nestjs/common';
import { ModulesContainer, NestFactory } from '@nestjs/core';
import { NestMicroservice } from '@nestjs/microservices';
import { AppModule } from '../app.module.js';
import type { AppConfig } from '../config/app-config.js';
import { RabbitServer } from '../rabbitmq/admin.js';

/**
 * The service's event handler queues (those with a DLQ), from the same module graph the service runs, without touching
 * the broker and without an HTTP app. `module` is the service's (`AppModule.register(config)`) unless a test gives
 * another graph, e.g. the service with a team's module added.
 */
export async function discoverHandlerQueues(config: AppConfig, module: DynamicModule = AppModule.register(config)): Promise<string[]> {
  return withRegisteredHandlers(module, (server) => server.eventQueues()); // request queues have no DLQ
}

/** Every queue the service declares or may declare (RabbitServer.declaredQueues), discovered as above. */
export async function discoverDeclaredQueues(config: AppConfig, module: DynamicModule = AppModule.register(config)): Promise<string[]> {
  return withRegisteredHandlers(module, (server) => server.declaredQueues());
}

/**
 * `createMicroservice` builds the providers and hands Nest our `RabbitServer` as the strategy; `registerListeners()`
 * registers every `@HandleEvent` handler with it (which is when handler queue names are known) and, unlike
 * `init()`/`listen()`, runs no lifecycle hook, so no connection is opened.
 */
export async function withRegisteredHandlers<T>(module: DynamicModule, read: (server: RabbitServer, modules: ModulesContainer) => T): Promise<T> {
  const app = await NestFactory.createMicroservice(module, {
    logger: false,
    abortOnError: false,
    inject: [RabbitServer],
    useFactory: (server: RabbitServer) => ({ strategy: server }),
  });
  try {
    // `NestFactory` returns the public `NestMicroservice` class behind the narrower `INestMicroservice` interface.
    if (!(app instanceof NestMicroservice)) throw new Error('NestFactory.createMicroservice did not return a NestMicroservice');
    app.registerListeners();
    return read(app.get(RabbitServer), app.get(ModulesContainer));
  } finally {
    await app.close();
  }
}
