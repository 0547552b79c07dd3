import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { trace } from '@opentelemetry/api';
import type { GetMessage } from 'amqplib';
import request from 'supertest';
import { BrokerProbe } from './support/broker.js';
import { type DemoApp, startDemoApp } from './support/demo-app.js';
import { waitFor } from './support/wait-for.js';

const traceHeadersOf = (message: GetMessage) => {
  const { traceparent, tracestate, baggage } = message.properties.headers ?? {};
  return { traceparent, tracestate, baggage };
};

describe('W3C trace headers with no OpenTelemetry SDK registered (real broker)', () => {
  let demo: DemoApp;
  let probe: BrokerProbe;
  let observedQueue: string;

  /** The next observed event of this order (others are skipped). */
  const eventOf = (orderId: string, routingKey: string) =>
    waitFor(`${routingKey} of ${orderId}`, async () => {
      const message = await probe.take(observedQueue);
      return message && message.fields.routingKey === routingKey && JSON.parse(message.content.toString()).orderId === orderId ? message : undefined;
    });

  beforeAll(async () => {
    demo = await startDemoApp('notrace');
    probe = await BrokerProbe.open();
    // Another service's queue, bound to what the request publishes and to what the handler publishes.
    observedQueue = await probe.listen(demo.config.rabbitmq.exchange!, 'order.created', 'inventory.*');
  });

  afterAll(async () => {
    await probe?.close();
    await demo?.dispose();
  });

  it('carries the HTTP caller’s traceparent, tracestate and baggage unchanged onto the event and onto what its handler publishes', async () => {
    // The premise: nothing registered a tracer provider in this process.
    expect(trace.getTracer('probe').startSpan('probe').isRecording()).toBe(false);
    const sent = {
      traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`,
      tracestate: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
      baggage: 'tenant=acme,region=eu',
    };
    const response = await request(demo.app.getHttpServer())
      .post('/orders')
      .set(sent)
      .set('x-request-id', 'req-notrace-1')
      .send({ customerId: 'c-nt', items: [{ sku: 'sku-nt', quantity: 1 }] })
      .expect(202);
    const created = await eventOf((response.body as { orderId: string }).orderId, 'order.created');
    expect(traceHeadersOf(created)).toEqual(sent);
    expect(created.properties.correlationId).toBe('req-notrace-1');
    // Published by the inventory handler while it handled the event: the same headers, unchanged.
    const reserved = await eventOf((response.body as { orderId: string }).orderId, 'inventory.reserved');
    expect(traceHeadersOf(reserved)).toEqual(sent);
    expect(reserved.properties.correlationId).toBe('req-notrace-1');
  });

  it("carries a foreign producer's trace headers onto what the handler publishes; adds none where none came", async () => {
    const orderId = `o-nt-${randomBytes(4).toString('hex')}`;
    const traceparent = `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-00`;
    probe.publish(
      demo.config.rabbitmq.exchange!,
      'order.created',
      JSON.stringify({ orderId, customerId: 'c-f', items: [{ sku: 's', quantity: 1 }] }),
      {
        contentType: 'application/json',
        headers: { traceparent, tracestate: 'vendor=x' },
      },
    );
    const reserved = await eventOf(orderId, 'inventory.reserved');
    expect(traceHeadersOf(reserved)).toEqual({ traceparent, tracestate: 'vendor=x', baggage: undefined });

    const plain = await request(demo.app.getHttpServer())
      .post('/orders')
      .send({ customerId: 'c-plain', items: [{ sku: 'sku-p', quantity: 1 }] })
      .expect(202);
    const plainReserved = await eventOf((plain.body as { orderId: string }).orderId, 'inventory.reserved');
    expect(traceHeadersOf(plainReserved)).toEqual({ traceparent: undefined, tracestate: undefined, baggage: undefined });
  });

  it('drops a forged traceparent (CR/LF) instead of copying it onward', async () => {
    const orderId = `o-forged-${randomBytes(4).toString('hex')}`;
    probe.publish(
      demo.config.rabbitmq.exchange!,
      'order.created',
      JSON.stringify({ orderId, customerId: 'c-x', items: [{ sku: 's', quantity: 1 }] }),
      {
        contentType: 'application/json',
        headers: { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01\r\nx-evil: 1`, tracestate: 'vendor=x' },
      },
    );
    const reserved = await eventOf(orderId, 'inventory.reserved');
    expect(traceHeadersOf(reserved)).toEqual({ traceparent: undefined, tracestate: undefined, baggage: undefined });
  });

  it('drops a traceparent W3C calls invalid (version ff, all-zero ids) and a baggage over 180 members', async () => {
    const [traceId, parentId] = [randomBytes(16).toString('hex'), randomBytes(8).toString('hex')];
    for (const traceparent of [`ff-${traceId}-${parentId}-01`, `00-${'0'.repeat(32)}-${parentId}-01`, `00-${traceId}-${'0'.repeat(16)}-01`]) {
      const orderId = `o-w3c-${randomBytes(4).toString('hex')}`;
      probe.publish(
        demo.config.rabbitmq.exchange!,
        'order.created',
        JSON.stringify({ orderId, customerId: 'c-w', items: [{ sku: 's', quantity: 1 }] }),
        {
          contentType: 'application/json',
          headers: { traceparent, baggage: 'k=v' },
        },
      );
      const reserved = await eventOf(orderId, 'inventory.reserved');
      expect(traceHeadersOf(reserved)).toEqual({ traceparent: undefined, tracestate: undefined, baggage: undefined });
    }
    // 1,000 members, 6.9 KB: under the byte limit, over W3C's 180 members; it was copied onto every onward event.
    const baggage = Array.from({ length: 1000 }, (_, i) => `k${i}=1`).join(',');
    const traceparent = `00-${traceId}-${parentId}-01`;
    const response = await request(demo.app.getHttpServer())
      .post('/orders')
      .set({ traceparent, baggage })
      .send({ customerId: 'c-bag', items: [{ sku: 'sku-bag', quantity: 1 }] })
      .expect(202);
    expect(traceHeadersOf(await eventOf((response.body as { orderId: string }).orderId, 'order.created'))).toEqual({
      traceparent,
      tracestate: undefined,
      baggage: undefined,
    });
    expect(traceHeadersOf(await eventOf((response.body as { orderId: string }).orderId, 'inventory.reserved'))).toEqual({
      traceparent,
      tracestate: undefined,
      baggage: undefined,
    });
  });
});
