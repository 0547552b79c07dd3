import { NestFactory } from '@nestjs/core';
import { NestMicroservice } from '@nestjs/microservices';
import { AppModule } from '../app.module.js';
import type { AppConfig } from '../config/app-config.js';
import { RabbitServer } from '../rabbitmq/admin.js';

/**
 * The service's event handler queues (those with a DLQ), from the same module graph the service runs, without touching
 * the broker and without an HTTP app. `createMicroservice` builds the providers and hands Nest our `RabbitServer` as
 * the strategy; `registerListeners()` registers every `@HandleEvent` handler with it (which is when handler queue
 * names are known) and, unlike `init()`/`listen()`, runs no lifecycle hook, so no connection is opened.
 */
export async function discoverHandlerQueues(config: AppConfig): Promise<string[]> {
  const app = await NestFactory.createMicroservice(AppModule.register(config), {
    logger: false,
    abortOnError: false,
    inject: [RabbitServer],
    useFactory: (server: RabbitServer) => ({ strategy: server }),
  });
  try {
    // `NestFactory` returns the public `NestMicroservice` class behind the narrower `INestMicroservice` interface.
    if (!(app instanceof NestMicroservice)) throw new Error('NestFactory.createMicroservice did not return a NestMicroservice');
    app.registerListeners();
    return app.get(RabbitServer).eventQueues(); // request queues have no DLQ
  } finally {
    await app.close();
  }
}
