import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, type INestApplication, Injectable } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { IsString } from 'class-validator';
import request from 'supertest';
import { configureApp, createHttpAdapter } from '../src/app.factory.js';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '../src/config/load-config.js';
import { HandleEvent, RabbitMQModule } from '../src/rabbitmq/index.js';
import { deadLetterQueueName, RabbitServer } from '../src/rabbitmq/admin.js';
import { HEADER_ERROR_MESSAGE, HEADER_ERROR_TYPE, HEADER_RETRY_COUNT } from '../src/rabbitmq/wire/message-headers.js';
import { BrokerProbe, SHARED_AMQP_URL, uniqueNames } from './support/broker.js';
import { type DemoApp, removeTopology, startDemoApp } from './support/demo-app.js';
import { waitFor } from './support/wait-for.js';

/**
 * Events are read tolerantly: a field the handler's DTO does not declare is stripped, never a
 * reason to dead-letter (producers evolve events by adding fields), while HTTP input stays strict.
 * A payload of the wrong shape is parked at once as a ValidationError, never retried.
 */
describe('tolerant reader (demo service on the real broker)', () => {
  let demo: DemoApp;
  let broker: BrokerProbe;
  let orderQueue: string;

  beforeAll(async () => {
    // Retries would be quick here: a parked-at-once message must still show x-retry-count 0.
    demo = await startDemoApp('tolerant', { RETRY_DELAYS_MS: '100' });
    broker = await BrokerProbe.open();
    orderQueue = demo.server.queues().find((queue) => queue.endsWith('.notifications.order-created'))!;
    expect(orderQueue).toBeDefined();
  });

  afterAll(async () => {
    await broker?.close();
    await demo?.dispose();
  });

  /** Takes `count` messages off the DLQ, waiting for each with a deadline. */
  async function parked(queue: string, count: number) {
    const messages = [];
    for (let i = 0; i < count; i++) {
      messages.push(
        await waitFor(`parked message ${i + 1} of ${count} in ${deadLetterQueueName(queue)}`, () => broker.take(deadLetterQueueName(queue)), {
          timeoutMs: 20_000,
        }),
      );
    }
    return messages;
  }

  it('an old DTO handler handles a newer event that carries fields it does not declare', async () => {
    const event = {
      orderId: 'o-newer-1',
      customerId: 'c-7',
      items: [{ sku: 'sku-1', quantity: 1, colour: 'red' }],
      createdAt: new Date().toISOString(),
      // Added by a newer producer: unknown to OrderCreatedEvent.
      channel: 'mobile',
      giftWrap: { paper: 'gold' },
    };
    broker.publish(demo.config.rabbitmq.exchange!, 'order.created', JSON.stringify(event), { contentType: 'application/json', messageId: 'newer-1' });
    const mail = await waitFor('the confirmation mail of the newer event', () => demo.mailer.sent.find((m) => m.subject.includes('o-newer-1')), {
      timeoutMs: 20_000,
    });
    expect(mail).toMatchObject({ to: 'customer:c-7', text: '1 item(s) ordered.' });
    expect(await broker.ready(deadLetterQueueName(orderQueue))).toBe(0);
  });

  it('HTTP stays strict: an unknown field in a request body is refused with 400', async () => {
    const response = await request(demo.app.getHttpServer())
      .post('/orders')
      .send({ customerId: 'c-1', items: [{ sku: 'sku-1', quantity: 1 }], coupon: 'FREE' })
      .expect(400);
    expect(JSON.stringify(response.body)).toContain('property coupon should not exist');
  });

  it('parks an event with a missing required field at once, as ValidationError with the field errors', async () => {
    broker.publish(demo.config.rabbitmq.exchange!, 'order.created', JSON.stringify({ orderId: 'o-no-items', customerId: 'c-1' }), {
      messageId: 'no-items-1',
    });
    const [message] = await parked(orderQueue, 1);
    const headers = message.properties.headers!;
    expect(message.properties.messageId).toBe('no-items-1');
    expect(headers[HEADER_ERROR_TYPE]).toBe('ValidationError');
    expect(headers[HEADER_ERROR_MESSAGE]).toContain('items must be an array');
    expect(headers[HEADER_RETRY_COUNT]).toBe(0);
    expect(demo.mailer.sent.some((m) => m.subject.includes('o-no-items'))).toBe(false);
  });

  it.each([
    ['a string', '"str"', 'a string'],
    ['a number', '42', 'a number'],
    ['an array', '[]', 'an array'],
    ['null', 'null', 'null'],
  ])('parks %s at once as ValidationError instead of retrying a TypeError', async (_case, body, kind) => {
    broker.publish(demo.config.rabbitmq.exchange!, 'order.created', body, { contentType: 'application/json' });
    const [message] = await parked(orderQueue, 1);
    const headers = message.properties.headers!;
    expect(message.content.toString()).toBe(body);
    expect(headers[HEADER_ERROR_TYPE]).toBe('ValidationError');
    expect(headers[HEADER_ERROR_MESSAGE]).toBe(`payload must be a JSON object (OrderCreatedEvent), got ${kind}`);
    expect(headers[HEADER_RETRY_COUNT]).toBe(0);
  });
});

/** The DTO a team wrote for version 1 of an event. */
class ShipmentV1 {
  @IsString()
  shipmentId!: string;
}

@Injectable()
class Received {
  readonly payloads: unknown[] = [];
}

@Controller()
class OldShipmentHandler {
  constructor(private readonly received: Received) {}

  @HandleEvent('shipment.sent')
  onShipmentSent(@Payload() shipment: ShipmentV1): void {
    this.received.payloads.push(shipment);
  }
}

describe('tolerant reader with the service wiring (strict global HTTP pipe)', () => {
  let app: INestApplication;
  let broker: BrokerProbe;
  const names = uniqueNames('tolerant-wiring');

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [RabbitMQModule.forRoot({ urls: [SHARED_AMQP_URL], ...names })],
      controllers: [OldShipmentHandler],
      providers: [Received],
    }).compile();
    const config = loadConfig({ AMQP_URL: SHARED_AMQP_URL });
    const fastifyApp = moduleRef.createNestApplication<NestFastifyApplication>(createHttpAdapter(config), { bodyParser: false, logger: ['error'] });
    app = fastifyApp;
    // The same HTTP adapter, global pipes, filters and transport connection as the service.
    configureApp(fastifyApp, config);
    await app.startAllMicroservices();
    await app.init();
    await app.get(RabbitServer).waitForConsumers();
    broker = await BrokerProbe.open();
  });

  afterAll(async () => {
    await broker?.close();
    const queues = app ? app.get(RabbitServer).queues() : [];
    await app?.close();
    await removeTopology(names.exchange, queues);
  });

  it('a version-1 DTO handler gets a version-2 event with the new fields stripped', async () => {
    const v2 = { shipmentId: 's-1', carrier: 'ups', eta: '2026-12-01', parcels: [{ id: 'p-1' }] };
    broker.publish(names.exchange, 'shipment.sent', JSON.stringify(v2), { contentType: 'application/json' });
    const received = app.get(Received);
    const payload = await waitFor('the v2 event at the v1 handler', () => received.payloads[0], { timeoutMs: 20_000 });
    expect(payload).toBeInstanceOf(ShipmentV1);
    expect(payload).toEqual({ shipmentId: 's-1' });
    const queue = app.get(RabbitServer).queues()[0];
    expect(await broker.ready(deadLetterQueueName(queue))).toBe(0);
  });
});
