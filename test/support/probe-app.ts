import type { Server } from 'node:http';
import { type INestApplication, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { type RabbitMQModuleOptions, RabbitMQModule } from '../../src/rabbitmq/index.js';
import { connectRabbitServer, RabbitServer } from '../../src/rabbitmq/admin.js';
import { SHARED_AMQP_URL, uniqueNames } from './broker.js';
import { removeTopology } from './demo-app.js';

export interface ProbeApp {
  app: INestApplication<Server>;
  server: RabbitServer;
  serviceName: string;
  exchange: string;
  dispose(): Promise<void>;
}

/**
 * A bare Nest app with only the RabbitMQ library and the given handler classes: tests of the
 * transport itself, independent of the demo features.
 */
export async function startProbeApp(
  prefix: string,
  handlers: Type[],
  options: Partial<RabbitMQModuleOptions> = {},
  providers: Type[] = [],
  /** Runs before the app starts: global filters, a logger (the library's HTTP glue as a team wires it). */
  configure: (app: INestApplication) => void = () => undefined,
  /** How the transport joins the app: as the service does, unless a test needs otherwise (inheriting the app's globals, say). */
  connect: (app: INestApplication) => void = connectRabbitServer,
): Promise<ProbeApp> {
  const names = uniqueNames(prefix);
  const moduleRef = await Test.createTestingModule({
    imports: [RabbitMQModule.forRoot({ urls: [SHARED_AMQP_URL], ...names, ...options })],
    controllers: handlers,
    providers,
  }).compile();
  const app = moduleRef.createNestApplication({ logger: ['error'] });
  configure(app);
  connect(app);
  try {
    await app.startAllMicroservices();
    await app.init();
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  const server = app.get(RabbitServer);
  await server.waitForConsumers();
  const exchange = options.exchange ?? names.exchange;
  return {
    app,
    server,
    serviceName: names.serviceName,
    exchange,
    dispose: async () => {
      const queues = server.queues();
      await app.close();
      await removeTopology(exchange, queues);
    },
  };
}
