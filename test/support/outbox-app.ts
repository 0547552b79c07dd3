import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type pg from 'pg';
import { RabbitMQModule } from '../../src/rabbitmq/index.js';
import type { OutboxOptions } from '../../src/rabbitmq/admin.js';
import { SHARED_AMQP_URL } from './broker.js';

/** An app with nothing but RabbitMQModule and its outbox on `database`: one "replica" relaying the outbox. */
export async function startOutboxApp(
  names: { serviceName: string; exchange: string },
  database: pg.Pool | string,
  outbox: Omit<OutboxOptions, 'database'> = {},
  amqpUrl = SHARED_AMQP_URL,
): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [RabbitMQModule.forRoot({ urls: [amqpUrl], ...names, outbox: { database, ...outbox } })],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: ['error'] });
  app.enableShutdownHooks();
  await app.init();
  return app;
}

/** A queue of the test's own bound to `pattern` on the events exchange, with every delivery kept in order. */
export async function collectDeliveries(
  channel: import('amqplib').Channel,
  exchange: string,
  queue: string,
  pattern: string,
): Promise<{ messageId: string; body: unknown }[]> {
  const received: { messageId: string; body: unknown }[] = [];
  await channel.assertExchange(exchange, 'topic', { durable: true });
  // Durable: on a node that restarts (broker-down tests) the queue and its binding are still there.
  await channel.assertQueue(queue, { durable: true });
  await channel.bindQueue(queue, exchange, pattern);
  await channel.consume(
    queue,
    (message) => {
      if (message) received.push({ messageId: String(message.properties.messageId), body: JSON.parse(message.content.toString()) as unknown });
    },
    { noAck: true },
  );
  return received;
}
