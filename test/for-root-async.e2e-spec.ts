import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, type INestApplication, Injectable } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { HandleEvent, RabbitClient, RabbitMQModule, type RabbitMQModuleOptions } from '../src/rabbitmq/index.js';
import { RabbitServer } from '../src/rabbitmq/admin.js';
import { SHARED_AMQP_URL, uniqueNames } from './support/broker.js';
import { removeTopology } from './support/demo-app.js';
import { waitFor } from './support/wait-for.js';

const names = uniqueNames('async');

@Injectable()
class Pings {
  readonly received: unknown[] = [];
}

@Controller()
class PingHandler {
  constructor(private readonly pings: Pings) {}

  @HandleEvent('ping.sent')
  onPing(@Payload() body: unknown): void {
    this.pings.received.push(body);
  }
}

describe('RabbitMQModule.forRootAsync with ConfigService', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        // What an app's .env / environment would hold; loaded by @nestjs/config, not by warren.
        ConfigModule.forRoot({
          ignoreEnvFile: true,
          load: [() => ({ RABBIT_URL: SHARED_AMQP_URL, RABBIT_SERVICE: names.serviceName, RABBIT_EXCHANGE: names.exchange, RABBIT_PREFETCH: '7' })],
        }),
        RabbitMQModule.forRootAsync({
          imports: [ConfigModule],
          inject: [ConfigService],
          useFactory: (config: ConfigService): RabbitMQModuleOptions => ({
            urls: [config.getOrThrow<string>('RABBIT_URL')],
            serviceName: config.getOrThrow<string>('RABBIT_SERVICE'),
            exchange: config.getOrThrow<string>('RABBIT_EXCHANGE'),
            consume: { prefetch: Number(config.getOrThrow<string>('RABBIT_PREFETCH')) },
          }),
        }),
      ],
      controllers: [PingHandler],
      providers: [Pings],
    }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    app.connectMicroservice({ strategy: app.get(RabbitServer) }, { inheritAppConfig: true });
    await app.startAllMicroservices();
    await app.init();
    await app.get(RabbitServer).waitForConsumers();
  });

  afterAll(async () => {
    if (app) {
      const queues = app.get(RabbitServer).queues();
      await app.close();
      await removeTopology(names.exchange, queues);
    }
  });

  it('takes its options from ConfigService: queue named after the configured service, configured prefetch', () => {
    const queue = `${names.serviceName}.ping.ping`;
    expect(app.get(RabbitServer).queues()).toEqual([queue]);
    expect(app.get(RabbitServer).consumerStatus()).toEqual([expect.objectContaining({ queue, prefetch: 7 })]);
  });

  it('publishes to the configured exchange and the handler receives it', async () => {
    const receipt = await app.get(RabbitClient).publish('ping.sent', { hello: 'config' });
    expect(receipt.pattern).toBe('ping.sent');
    const pings = app.get(Pings);
    await waitFor('the ping handled', () => pings.received.length === 1);
    expect(pings.received).toEqual([{ hello: 'config' }]);
  });
});
