import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module.js';
import type { AppConfig } from '../config/app-config.js';
import { RabbitServer } from '../rabbitmq/admin.js';

/**
 * The service's event handler queues (those with a DLQ), from the same module graph the service runs, without touching
 * the broker. `NestFactory.create` builds the providers but runs no lifecycle hook (the
 * connections open in `onModuleInit`, i.e. in `init()`/`listen()`), and `connectMicroservice`
 * registers every `@HandleEvent` handler with the transport at once (Nest calls `registerListeners`
 * there unless initialization is deferred), which is when handler queue names are known.
 */
export async function discoverHandlerQueues(config: AppConfig): Promise<string[]> {
  const app = await NestFactory.create(AppModule.register(config), { logger: false, abortOnError: false, bodyParser: false });
  try {
    const server = app.get(RabbitServer);
    app.connectMicroservice({ strategy: server });
    return server.eventQueues(); // request queues have no DLQ
  } finally {
    await app.close();
  }
}
