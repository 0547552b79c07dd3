import { type INestApplication, type LoggerService, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config/app-config.js';
import { AppLogger } from './logging/app-logger.js';
import { PublishErrorFilter, RabbitServer } from './rabbitmq/index.js';

/**
 * Builds the hybrid app (HTTP + RabbitMQ transport) without starting it. main.ts and the e2e
 * tests share this, so the tests run the same wiring as production.
 */
export async function createApp(config: AppConfig, logger?: LoggerService | false): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config), {
    bodyParser: false,
    logger: logger ?? new AppLogger({ format: config.logFormat, flushOnExit: true }),
  });
  return configureApp(app, config);
}

/** Applies what createApp applies, to an app made elsewhere (e.g. a testing module). */
export function configureApp(app: INestApplication, config: AppConfig): INestApplication {
  const expressApp = app as NestExpressApplication;
  // Over the limit, body-parser answers 413 before any code of ours runs.
  expressApp.useBodyParser('json', { limit: config.httpBodyLimitBytes });
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  app.useGlobalFilters(new PublishErrorFilter());
  // inheritAppConfig: handlers get the same global pipes and filters as HTTP routes.
  app.connectMicroservice({ strategy: app.get(RabbitServer) }, { inheritAppConfig: true });
  return app;
}

/** Starts consumers, then HTTP. */
export async function startApp(app: INestApplication, config: AppConfig): Promise<void> {
  await app.startAllMicroservices();
  await app.listen(config.port);
}
