import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { configureApp, createHttpAdapter } from '../../src/app.factory.js';
import { AppModule } from '../../src/app.module.js';
import type { AppConfig } from '../../src/config/app-config.js';
import { loadConfig } from '../../src/config/load-config.js';
import { Mailer } from '../../src/notifications/mailer.port.js';
import { INVENTORY_STOCK } from '../../src/inventory/inventory-queries.js';
import {
  DEFAULT_RETRY_POLICY,
  deadLetterQueueName,
  RabbitServer,
  requestQueueName,
  retryQueueName,
  unroutedExchangeName,
  unroutedQueueName,
} from '../../src/rabbitmq/admin.js';
import { BrokerProbe, SHARED_AMQP_URL, uniqueNames } from './broker.js';
import { RecordingMailer } from './recording-mailer.js';

export interface DemoApp {
  app: INestApplication;
  config: AppConfig;
  server: RabbitServer;
  mailer: RecordingMailer;
  /** Closes the app and deletes every queue and exchange it declared. */
  dispose(): Promise<void>;
}

/**
 * The real service wiring (same module, pipes, filters, transport as main.ts) with unique
 * names and a recording mailer, started and with its consumers attached.
 */
export async function startDemoApp(prefix: string, env: Record<string, string> = {}): Promise<DemoApp> {
  const names = uniqueNames(prefix);
  const config = loadConfig({
    AMQP_URL: SHARED_AMQP_URL,
    SERVICE_NAME: names.serviceName,
    EVENTS_EXCHANGE: names.exchange,
    // Any free port: suites (and other test runs on the machine) start many apps side by side.
    METRICS_PORT: '0',
    ...env,
  });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.register(config)] })
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
      const queues = server.queues();
      await app.close(); // safe when a test already closed it
      await removeTopology(config.eventsExchange, queues);
    },
  };
}

/** The demo's event handlers (`<SERVICE_NAME>.<handler>` are their queues), for specs that start the service as a process. */
export const DEMO_HANDLERS = [
  'notifications.user-registered',
  'notifications.order-created',
  'notifications.inventory-result',
  'inventory.order-created',
];

/** Request queues the demo service declares on an exchange (specs that list the demo's queues by hand miss them). */
const DEMO_REQUEST_PATTERNS = [INVENTORY_STOCK];

/** Deletes handler queues, their DLQs and default-policy retry queues, the demo's request queues and the exchange pair a test created. */
export async function removeTopology(exchange: string, queues: string[]): Promise<void> {
  const probe = await BrokerProbe.open();
  try {
    const requestQueues = DEMO_REQUEST_PATTERNS.map((pattern) => requestQueueName(exchange, pattern));
    await probe.remove({
      queues: [
        ...new Set([...queues, ...requestQueues]),
        ...queues.map(deadLetterQueueName),
        ...queues.flatMap((queue) => DEFAULT_RETRY_POLICY.delaysMs.map((delayMs) => retryQueueName(queue, delayMs))),
        unroutedQueueName(exchange),
      ],
      exchanges: [exchange, unroutedExchangeName(exchange)],
    });
  } finally {
    await probe.close();
  }
}
