import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp, startApp } from './app.factory.js';
import { loadConfig } from './config/load-config.js';
import { installGracefulShutdown } from './shutdown/graceful-shutdown.js';
import { redactText } from './rabbitmq/admin.js';

async function bootstrap(): Promise<void> {
  const config = loadConfig();
  const app = await createApp(config);
  installGracefulShutdown(app, config.shutdownDelayMs);
  await startApp(app, config);
  new Logger('Bootstrap').log(`warren listening on port ${config.port} as '${config.rabbitmq.serviceName}'`);
}

bootstrap().catch((error: unknown) => {
  // Configuration and start-up errors: one clear line, secrets masked, non-zero exit.
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  // eslint-disable-next-line no-console -- the one line a failed start prints, before or without a logger
  console.error(redactText(message));
  process.exit(1);
});
