import type { Server } from 'node:http';
import type { INestApplication, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { configureApp, createHttpAdapter } from '../../src/app.factory.js';
import { AppModule } from '../../src/app.module.js';
import type { AppConfig } from '../../src/config/app-config.js';
import { loadConfig } from '../../src/config/load-config.js';
import { Mailer } from '../../src/notifications/mailer.port.js';
import { discoverDeclaredQueues } from '../../src/cli/handler-queues.js';
import { deadLetterQueueName, RabbitServer, retryQueueName, unroutedExchangeName, unroutedQueueName } from '../../src/rabbitmq/admin.js';
import { RABBITMQ_DEFAULTS } from '../../src/rabbitmq/options/rabbitmq-defaults.js';
import { BrokerProbe, SHARED_AMQP_URL, uniqueNames } from './broker.js';
import { RecordingMailer } from './recording-mailer.js';
import { TestDatabase } from './test-database.js';

export interface DemoApp {
  app: INestApplication<Server>;
  config: AppConfig;
  server: RabbitServer;
  mailer: RecordingMailer;
  /** Closes the app and deletes every queue and exchange it declared. */
  dispose(): Promise<void>;
}

/**
 * The real service wiring (same module, pipes, filters, transport as main.ts) with unique
 * names and a recording mailer, started and with its consumers attached. `modules` are imported
 * next to AppModule, as a team's module listed in `AppModule.register` would be.
 */
export async function startDemoApp(prefix: string, env: Record<string, string> = {}, modules: Type[] = []): Promise<DemoApp> {
  const names = uniqueNames(prefix);
  // A database of its own unless the test gives DATABASE_URL; dropped by dispose().
  const database = env.DATABASE_URL === undefined ? await TestDatabase.create() : undefined;
  const config = loadConfig({
    ...(database ? { DATABASE_URL: database.url } : {}),
    AMQP_URL: SHARED_AMQP_URL,
    SERVICE_NAME: names.serviceName,
    EVENTS_EXCHANGE: names.exchange,
    // Any free port: suites (and other test runs on the machine) start many apps side by side.
    METRICS_PORT: '0',
    // Tests read why the app is (not) ready; the default (off) is tested in health.e2e-spec.ts.
    READINESS_DETAILS: 'true',
    ...env,
  });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.register(config), ...modules] })
    .overrideProvider(Mailer)
    .useClass(RecordingMailer)
    .compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(createHttpAdapter(config), { bodyParser: false, logger: ['error', 'warn'] });
  configureApp(app, config);
  await app.startAllMicroservices();
  await app.init();
  // Fastify answers requests on app.getHttpServer() (supertest) only once it is ready.
  await app.getHttpAdapter().getInstance().ready();
  const server = app.get(RabbitServer);
  await server.waitForConsumers();
  const mailer = app.get(Mailer) as RecordingMailer;
  return {
    app,
    config,
    server,
    mailer,
    dispose: async () => {
      const queues = server.declaredQueues();
      await app.close(); // safe when a test already closed it
      await removeTopology(config.rabbitmq.exchange!, queues);
      await database?.drop();
    },
  };
}

/**
 * Every queue the service declares for these names (handler and request queues, DLQs, retry queues, the unrouted
 * queue), discovered from its module graph as the service would build it: for specs that start the service as a
 * process and clean up after it. A team's module added to AppModule is included without listing it anywhere.
 */
export async function serviceQueues(names: { serviceName: string; exchange: string }, env: Record<string, string> = {}): Promise<string[]> {
  const config = loadConfig({ AMQP_URL: SHARED_AMQP_URL, SERVICE_NAME: names.serviceName, EVENTS_EXCHANGE: names.exchange, ...env });
  return discoverDeclaredQueues(config);
}

/**
 * Deletes the given queues with their DLQs and default-policy retry queues, the exchange's unrouted queue, and the
 * exchange pair a test created. Works for any queue: pass `server.declaredQueues()` (or serviceQueues) to include
 * request queues and retry queues of a handler's own `@Retry` delays.
 */
export async function removeTopology(exchange: string, queues: string[]): Promise<void> {
  const probe = await BrokerProbe.open();
  try {
    const handlerQueues = queues.filter((queue) => !queue.endsWith('.dlq') && !/\.retry\.\d+$/.test(queue));
    await probe.remove({
      queues: [
        ...new Set([
          ...queues,
          ...handlerQueues.map(deadLetterQueueName),
          ...handlerQueues.flatMap((queue) => RABBITMQ_DEFAULTS.consume.retry.delaysMs.map((delayMs) => retryQueueName(queue, delayMs))),
          unroutedQueueName(exchange),
        ]),
      ],
      exchanges: [exchange, unroutedExchangeName(exchange)],
    });
  } finally {
    await probe.close();
  }
}
