import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { unroutedQueueName } from '../src/rabbitmq/admin.js';
import { BrokerProbe, listConnectionNames } from './support/broker.js';
import { type DemoApp, startDemoApp } from './support/demo-app.js';
import { waitFor } from './support/wait-for.js';

describe('HTTP → event → handler (demo service on the real broker)', () => {
  let demo: DemoApp;
  let probe: BrokerProbe;
  let observedQueue: string;

  beforeAll(async () => {
    demo = await startDemoApp('http');
    probe = await BrokerProbe.open();
    // Listen to what the inventory handler announces, as another service would.
    observedQueue = await probe.listen(demo.config.rabbitmq.exchange!, 'inventory.*');
  });

  afterAll(async () => {
    await probe?.close();
    await demo?.dispose();
  });

  it('POST /orders answers 202 after the confirm, and both handlers of order.created run and ack', async () => {
    const response = await request(demo.app.getHttpServer())
      .post('/orders')
      .set('x-request-id', 'req-orders-1')
      .send({ customerId: 'c-1', items: [{ sku: 'sku-1', quantity: 2 }] })
      .expect(202);
    expect(response.body).toEqual({ orderId: expect.any(String), eventId: expect.any(String) });
    expect(response.headers['x-request-id']).toBe('req-orders-1');

    const mail = await waitFor('the order confirmation mail', () =>
      demo.mailer.sent.find((m) => m.subject.includes((response.body as { orderId: string }).orderId)),
    );
    expect(mail.to).toBe('customer:c-1');

    const announced = await waitFor('inventory.reserved for the order', () => probe.take(observedQueue));
    expect(announced.fields.routingKey).toBe('inventory.reserved');
    expect(JSON.parse(announced.content.toString())).toMatchObject({ orderId: response.body.orderId });
    // The correlation id travels from the HTTP request through the handler to the next event.
    expect(announced.properties.correlationId).toBe('req-orders-1');
    expect(announced.properties.deliveryMode).toBe(2);
    expect(announced.properties.messageId).toEqual(expect.any(String));
    expect(announced.properties.appId).toBe(demo.config.rabbitmq.serviceName);
    expect(announced.properties.type).toBe('inventory.reserved');
    expect(announced.properties.contentType).toBe('application/json');
    // The demo's flow is complete: notifications consumes inventory.* and mails the result.
    const result = await waitFor('the reservation mail', () =>
      demo.mailer.sent.find((m) => m.subject === `Order ${response.body.orderId} is reserved`),
    );
    expect(result.to).toBe('customer:c-1');
    expect(await probe.ready(unroutedQueueName(demo.config.rabbitmq.exchange!))).toBe(0); // nothing left over
  });

  it('POST /users answers 202 and the welcome mail is sent', async () => {
    const response = await request(demo.app.getHttpServer()).post('/users').send({ email: 'ann@example.com', name: 'Ann' }).expect(202);
    expect(response.body).toEqual({ userId: expect.any(String), eventId: expect.any(String) });
    await waitFor('the welcome mail', () => demo.mailer.sent.find((m) => m.to === 'ann@example.com'));
  });

  it('rejects an invalid order with 400 and the field messages, publishing nothing', async () => {
    const sentBefore = demo.mailer.sent.length;
    const response = await request(demo.app.getHttpServer())
      .post('/orders')
      .send({ customerId: '', items: [{ sku: 'x', quantity: 0 }] })
      .expect(400);
    expect(response.body.message).toEqual(
      expect.arrayContaining([expect.stringContaining('customerId'), expect.stringContaining('items.0.quantity must not be less than 1')]),
    );
    const tooMany = Array.from({ length: 101 }, (_, i) => ({ sku: `s${i}`, quantity: 1 }));
    const second = await request(demo.app.getHttpServer()).post('/orders').send({ customerId: 'c', items: tooMany }).expect(400);
    expect(second.body.message).toEqual(expect.arrayContaining([expect.stringContaining('items must contain no more than 100')]));
    await request(demo.app.getHttpServer()).post('/users').send({ email: 'not-an-email', name: 'x' }).expect(400);
    expect(demo.mailer.sent.length).toBe(sentBefore);
  });

  it('answers 413 for a body over the HTTP limit', async () => {
    const items = [{ sku: 'x'.repeat(300 * 1024), quantity: 1 }];
    await request(demo.app.getHttpServer()).post('/orders').send({ customerId: 'c', items }).expect(413);
  });

  it('1,000 requests use one connection per role: <service>-publisher, <service>-consumer and (a request handler answers) <service>-replies', async () => {
    const http = request(demo.app.getHttpServer());
    const batches = 20;
    for (let batch = 0; batch < batches; batch++) {
      const responses = await Promise.all(
        Array.from({ length: 1000 / batches }, (_, i) => http.post('/users').send({ email: `u${batch}-${i}@example.com`, name: 'Load' })),
      );
      expect(responses.every((r) => r.status === 202)).toBe(true);
    }
    const names = (await listConnectionNames()).filter((name) => name.startsWith(`${demo.config.rabbitmq.serviceName}-`));
    expect(names.sort()).toEqual([
      `${demo.config.rabbitmq.serviceName}-consumer`,
      `${demo.config.rabbitmq.serviceName}-publisher`,
      `${demo.config.rabbitmq.serviceName}-replies`,
    ]);
    await waitFor('all 1,000 welcome mails', () => demo.mailer.sent.filter((m) => m.subject === 'Welcome, Load').length === 1000, {
      timeoutMs: 30_000,
    });
  });

  it('left nothing unacked: after the consumers close, every handler queue is empty', async () => {
    // A handled-but-unacked message would return to 'ready' when its channel closes.
    await demo.app.close();
    for (const queue of demo.server.queues()) {
      expect({ queue, ready: await probe.ready(queue) }).toEqual({ queue, ready: 0 });
    }
  });
});
