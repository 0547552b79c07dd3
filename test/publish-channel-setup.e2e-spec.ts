import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import type { INestApplication } from '@nestjs/common';
import { PublishError, RabbitMQModule } from '../src/rabbitmq/index.js';
import { RabbitConnections, unroutedQueueName } from '../src/rabbitmq/admin.js';
import { RabbitPublisher } from '../src/rabbitmq/publisher/rabbit-publisher.js';
import { BrokerProbe, SHARED_AMQP_URL, uniqueNames } from './support/broker.js';

/**
 * A publish channel whose set-up the broker refuses (here: the events exchange already exists
 * with another type, so the declare fails with 406 PRECONDITION_FAILED) must not make every
 * request wait the full confirm timeout for a channel that will not come, nor answer with a
 * cause that is not the real one: 503 (nothing sent) within the fail-fast bound, naming it.
 */
describe('publisher: a publish channel that cannot be set up', () => {
  const names = uniqueNames('setup');
  let broker: BrokerProbe;
  let app: INestApplication;

  beforeAll(async () => {
    broker = await BrokerProbe.open();
    await broker.channel.assertExchange(names.exchange, 'direct', { durable: false, autoDelete: false });
    const moduleRef = await Test.createTestingModule({
      imports: [RabbitMQModule.forRoot({ urls: [SHARED_AMQP_URL], ...names, publish: { timeoutMs: 10_000, failFastMs: 250 } })],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    await app.get(RabbitConnections).waitForConnect('publisher', 10_000);
  });

  afterAll(async () => {
    await app?.close();
    await broker?.remove({ queues: [unroutedQueueName(names.exchange)], exchanges: [names.exchange] });
    await broker?.close();
  });

  it('answers "not sent" fast, naming the failed set-up, instead of waiting publishTimeoutMs', async () => {
    const publisher = app.get(RabbitPublisher);
    // The first publish opens the channel, whose set-up then fails; the next ones know already.
    for (let n = 0; n < 3; n++) {
      const startedAt = performance.now();
      const error = await publisher.publish('setup.check', { n }).then(
        () => undefined,
        (failure: unknown) => failure,
      );
      const ms = performance.now() - startedAt;
      // The refused set-up is a topology conflict (a 406 on the exchange): named as such, not sent.
      expect(error).toBeInstanceOf(PublishError);
      expect((error as PublishError).retryAfterSeconds).toBeGreaterThan(0);
      expect((error as Error).message).toMatch(
        /(topology conflict on exchange '[^']+' \(argument 'type'\).*|the publish channel cannot be set up \(.*PRECONDITION_FAILED.*\)); the event was not sent/,
      );
      expect(ms).toBeLessThan(2_000); // at most the fail-fast bound (250 ms) plus slack, far below publishTimeoutMs (10 s)
    }
  });
});
