import type { Server } from 'node:http';
import { networkInterfaces } from 'node:os';
import { type INestApplication, type LoggerService, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config/app-config.js';
import { applyHttpHardening } from './http/http-hardening.js';
import { applyHttpServerTimeouts } from './http/http-server-timeouts.js';
import { AppLogger } from './logging/app-logger.js';
import { DatabaseUnavailableFilter } from './database/database-unavailable.filter.js';
import { connectRabbitServer, PublishErrorFilter, RequestErrorFilter } from './rabbitmq/admin.js';

/**
 * Builds the hybrid app (HTTP + RabbitMQ transport) without starting it. main.ts and the e2e
 * tests share this, so the tests run the same wiring as production.
 */
export async function createApp(config: AppConfig, logger?: LoggerService | false): Promise<INestApplication<Server>> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config), createHttpAdapter(config), {
    bodyParser: false,
    logger: logger ?? new AppLogger({ format: config.logFormat, level: config.logLevel, flushOnExit: true }),
  });
  return configureApp(app, config);
}

/**
 * The HTTP adapter: Fastify, not Nest's default Express. Measured with the same app and publish
 * path, it costs half the CPU per request (`npm run bench:http`, docs/performance.md). Create the
 * app with `bodyParser: false`: applyHttpHardening registers the JSON parser (limit, structure guard).
 */
export function createHttpAdapter(config: AppConfig): FastifyAdapter {
  return new FastifyAdapter({ bodyLimit: config.httpBodyLimitBytes });
}

/** Applies what createApp applies, to an app made elsewhere (e.g. a testing module made with createHttpAdapter). */
export function configureApp(app: NestFastifyApplication, config: AppConfig): INestApplication<Server> {
  // Request id, security headers, 415, body size (413) and structure (400) limits, before routing.
  applyHttpHardening(app, config);
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  app.useGlobalFilters(new PublishErrorFilter(), new RequestErrorFilter(), new DatabaseUnavailableFilter());
  // Handlers do not inherit the HTTP pipes and filters: HTTP input is strict (unknown fields
  // rejected) while events are read tolerantly by @HandleEvent's own pipe (unknown fields stripped),
  // as events evolve by adding fields. The filters answer HTTP only (connectRabbitServer: inheritAppConfig false).
  connectRabbitServer(app);
  return app;
}

/** `::` takes IPv4 too on a dual-stack host; `0.0.0.0` where there is no IPv6. */
const ALL_INTERFACES = Object.values(networkInterfaces()).some((addresses) => addresses?.some((address) => address.family === 'IPv6'))
  ? '::'
  : '0.0.0.0';

/** Starts consumers, then HTTP. */
export async function startApp(app: INestApplication<Server>, config: AppConfig): Promise<void> {
  await app.startAllMicroservices();
  applyHttpServerTimeouts(app.getHttpServer(), {
    keepAliveTimeoutMs: config.httpKeepAliveTimeoutMs,
    headersTimeoutMs: config.httpHeadersTimeoutMs,
    requestTimeoutMs: config.httpRequestTimeoutMs,
  });
  // Fastify listens on localhost unless given a host; the service must be reachable on every interface (as Express was).
  await app.listen(config.port, ALL_INTERFACES);
}
