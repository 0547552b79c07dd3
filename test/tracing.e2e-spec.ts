import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import request from 'supertest';
import type { Mail } from '../src/notifications/mailer.port.js';
import { BrokerProbe } from './support/broker.js';
import { type DemoApp, startDemoApp } from './support/demo-app.js';
import { type InMemoryTracing, registerInMemoryTracing } from './support/in-memory-tracing.js';
import { waitFor } from './support/wait-for.js';

/** The spans of one order's path, found by their messaging attributes. */
function pathOf(spans: ReadableSpan[], queueOf: (suffix: string) => string) {
  const publish = (routingKey: string) =>
    spans.find((span) => span.kind === SpanKind.PRODUCER && span.attributes['messaging.rabbitmq.destination.routing_key'] === routingKey);
  // A handler ordered by key (notifications' inventory-result, per customer) consumes its partition queues `<queue>.p<i>`.
  const consumes = (queue: string, subscription: unknown) =>
    subscription === queue ||
    (typeof subscription === 'string' && /^\.p\d+$/.test(subscription.slice(queue.length)) && subscription.startsWith(queue));
  const process = (queue: string) =>
    spans.filter((span) => span.kind === SpanKind.CONSUMER && consumes(queue, span.attributes['messaging.destination.subscription.name']));
  return {
    http: spans.find((span) => span.kind === SpanKind.SERVER),
    orderPublish: publish('order.created'),
    inventory: process(queueOf('inventory')),
    orderMail: process(queueOf('order-mail')),
    onwardPublish: publish('inventory.reserved'),
    resultMail: process(queueOf('result-mail')),
  };
}

const parentOf = (span: ReadableSpan | undefined) => span?.parentSpanContext?.spanId;
const idOf = (span: ReadableSpan | undefined) => span?.spanContext().spanId;

describe('OpenTelemetry: one trace from the HTTP request to every handler (in-memory exporter, real broker)', () => {
  let tracing: InMemoryTracing;
  let demo: DemoApp;
  let probe: BrokerProbe;
  let observedQueue: string;
  let queues: Record<string, string>;
  /** Makes the order confirmation mail of these customers fail once (a downstream hiccup). */
  const failOnce = new Set<string>();

  beforeAll(async () => {
    tracing = registerInMemoryTracing(); // before the app, as `node --import` would
    demo = await startDemoApp('tracing');
    const send = demo.mailer.send.bind(demo.mailer);
    demo.mailer.send = async (mail: Mail) => {
      const customerId = mail.to.replace(/^customer:/, '');
      if (failOnce.has(customerId) && mail.subject.endsWith('received')) {
        failOnce.delete(customerId);
        throw new Error(`smtp down for customer ${customerId}`);
      }
      await send(mail);
    };
    const prefix = demo.config.rabbitmq.serviceName;
    queues = {
      inventory: `${prefix}.inventory.order-created`,
      'order-mail': `${prefix}.notifications.order-created`,
      'result-mail': `${prefix}.notifications.inventory-result`,
    };
    expect(demo.server.queues()).toEqual(expect.arrayContaining(Object.values(queues)));
    probe = await BrokerProbe.open();
    observedQueue = await probe.listen(demo.config.rabbitmq.exchange!, 'inventory.*');
  });

  afterAll(async () => {
    await probe?.close();
    await demo?.dispose();
    await tracing?.shutdown();
  });

  it('POST /orders: HTTP span → publish → inventory and notification process spans → onward publish → its process span', async () => {
    const response = await request(demo.app.getHttpServer())
      .post('/orders')
      .set('x-request-id', 'req-trace-1')
      .send({ customerId: 'c-trace', items: [{ sku: 'sku-t', quantity: 1 }] })
      .expect(202);
    const eventId: string = response.body.eventId;
    const publishSpan = await waitFor('the publish span of the order', () =>
      tracing.exporter.getFinishedSpans().find((span) => span.kind === SpanKind.PRODUCER && span.attributes['messaging.message.id'] === eventId),
    );
    const traceId = publishSpan.spanContext().traceId;
    const path = await waitFor('every span of the order path', () => {
      const found = pathOf(tracing.spansOf(traceId), (name) => queues[name]);
      return found.http && found.inventory.length && found.orderMail.length && found.onwardPublish && found.resultMail.length ? found : undefined;
    });

    // One trace, parent/child links along the path.
    expect(path.http!.parentSpanContext).toBeUndefined();
    expect(path.http!.name).toMatch(/^POST/);
    expect(idOf(path.orderPublish)).toBe(idOf(publishSpan));
    expect(parentOf(path.orderPublish)).toBe(idOf(path.http));
    expect(parentOf(path.inventory[0])).toBe(idOf(path.orderPublish));
    expect(parentOf(path.orderMail[0])).toBe(idOf(path.orderPublish));
    expect(parentOf(path.onwardPublish)).toBe(idOf(path.inventory[0]));
    expect(parentOf(path.resultMail[0])).toBe(idOf(path.onwardPublish));
    expect(tracing.spansOf(traceId).filter((span) => span.kind === SpanKind.CONSUMER)).toHaveLength(3);

    // Messaging semantic conventions.
    expect(publishSpan.name).toBe(`publish ${demo.config.rabbitmq.exchange!}`);
    expect(publishSpan.attributes).toMatchObject({
      'messaging.system': 'rabbitmq',
      'messaging.operation.name': 'publish',
      'messaging.operation.type': 'send',
      'messaging.destination.name': demo.config.rabbitmq.exchange!,
      'messaging.rabbitmq.destination.routing_key': 'order.created',
      'messaging.message.id': eventId,
      'messaging.message.conversation_id': 'req-trace-1',
    });
    const inventory = path.inventory[0];
    expect(inventory.name).toBe(`process ${queues.inventory}`);
    expect(inventory.attributes).toMatchObject({
      'messaging.system': 'rabbitmq',
      'messaging.operation.name': 'process',
      'messaging.operation.type': 'process',
      'messaging.destination.subscription.name': queues.inventory,
      'messaging.rabbitmq.destination.routing_key': 'order.created',
      'messaging.message.id': eventId,
      'messaging.message.conversation_id': 'req-trace-1',
      'warren.retry.count': 0,
      'warren.outcome': 'ack',
    });
    expect(inventory.status.code).toBe(SpanStatusCode.UNSET);
    // The onward event on the wire carries the inventory span's context (and the correlation id, unchanged).
    const announced = await waitFor('inventory.reserved', () => probe.take(observedQueue));
    expect(announced.properties.headers?.traceparent).toBe(`00-${traceId}-${idOf(path.onwardPublish)}-01`);
    expect(announced.properties.correlationId).toBe('req-trace-1');
  });

  it('a retried message: the failed attempt has an error status and an exception event, the retry links to it, one trace', async () => {
    const customerId = `c-retry-${randomBytes(4).toString('hex')}`;
    failOnce.add(customerId);
    const response = await request(demo.app.getHttpServer())
      .post('/orders')
      .send({ customerId, items: [{ sku: 'sku-r', quantity: 1 }] })
      .expect(202);
    const publishSpan = await waitFor('the publish span of the order', () =>
      tracing.exporter
        .getFinishedSpans()
        .find((span) => span.kind === SpanKind.PRODUCER && span.attributes['messaging.message.id'] === response.body.eventId),
    );
    const traceId = publishSpan.spanContext().traceId;
    // The first delay of the default retry policy is 1 s.
    const [first, retry] = await waitFor('both attempts of the order mail', () => {
      const attempts = pathOf(tracing.spansOf(traceId), (name) => queues[name]).orderMail;
      return attempts.length === 2
        ? [...attempts].sort((a, b) => Number(a.attributes['warren.retry.count']) - Number(b.attributes['warren.retry.count']))
        : undefined;
    });

    expect(first.attributes).toMatchObject({ 'warren.retry.count': 0, 'warren.outcome': 'retry', 'error.type': 'Error' });
    expect(first.status).toEqual({ code: SpanStatusCode.ERROR, message: `smtp down for customer ${customerId}` });
    expect(first.events).toEqual([
      expect.objectContaining({
        name: 'exception',
        attributes: expect.objectContaining({ 'exception.type': 'Error', 'exception.message': `smtp down for customer ${customerId}` }),
      }),
    ]);
    expect(retry.attributes).toMatchObject({ 'warren.retry.count': 1, 'warren.outcome': 'ack', 'messaging.message.id': response.body.eventId });
    expect(retry.status.code).toBe(SpanStatusCode.UNSET);
    // Both attempts are children of the one publish; the retry links to the first attempt.
    expect(parentOf(first)).toBe(idOf(publishSpan));
    expect(parentOf(retry)).toBe(idOf(publishSpan));
    expect(retry.links).toEqual([
      expect.objectContaining({
        context: expect.objectContaining({ traceId, spanId: idOf(first) }),
        attributes: { 'warren.link': 'first-attempt' },
      }),
    ]);
    await waitFor('the mail after the retry', () =>
      demo.mailer.sent.find((mail) => mail.to === `customer:${customerId}` && mail.subject.endsWith('received')),
    );
  });

  it("continues a foreign producer's traceparent (and keeps its tracestate), and an HTTP caller's", async () => {
    const traceId = randomBytes(16).toString('hex');
    const parentSpanId = randomBytes(8).toString('hex');
    const orderId = `o-foreign-${randomBytes(4).toString('hex')}`;
    // A plain AMQP producer (as Go or Python would publish): JSON body, routing key, W3C headers.
    probe.channel.publish(
      demo.config.rabbitmq.exchange!,
      'order.created',
      Buffer.from(JSON.stringify({ orderId, customerId: 'c-foreign', items: [{ sku: 'sku-f', quantity: 1 }] })),
      { contentType: 'application/json', headers: { traceparent: `00-${traceId}-${parentSpanId}-01`, tracestate: 'vendor=foreign' } },
    );
    const path = await waitFor('the foreign message path', () => {
      const found = pathOf(tracing.spansOf(traceId), (name) => queues[name]);
      return found.inventory.length && found.orderMail.length && found.onwardPublish && found.resultMail.length ? found : undefined;
    });
    expect(parentOf(path.inventory[0])).toBe(parentSpanId);
    expect(path.inventory[0].parentSpanContext?.isRemote).toBe(true);
    expect(parentOf(path.orderMail[0])).toBe(parentSpanId);
    expect(parentOf(path.onwardPublish)).toBe(idOf(path.inventory[0]));
    expect(parentOf(path.resultMail[0])).toBe(idOf(path.onwardPublish));
    const announced = await waitFor('inventory.reserved of the foreign order', async () => {
      const message = await probe.take(observedQueue);
      return message && JSON.parse(message.content.toString()).orderId === orderId ? message : undefined;
    });
    expect(announced.properties.headers?.traceparent).toBe(`00-${traceId}-${idOf(path.onwardPublish)}-01`);
    expect(announced.properties.headers?.tracestate).toBe('vendor=foreign');

    // An HTTP caller that traces: the HTTP span continues its trace, the publish is the HTTP span's child.
    const callerTraceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const response = await request(demo.app.getHttpServer())
      .post('/orders')
      .set('traceparent', `00-${callerTraceId}-${callerSpanId}-01`)
      .set('baggage', 'tenant=acme')
      .send({ customerId: 'c-caller', items: [{ sku: 'sku-c', quantity: 1 }] })
      .expect(202);
    const spans = await waitFor('the HTTP and publish spans of the caller', () => {
      const found = pathOf(tracing.spansOf(callerTraceId), (name) => queues[name]);
      return found.http && found.orderPublish ? found : undefined;
    });
    expect(parentOf(spans.http)).toBe(callerSpanId);
    expect(parentOf(spans.orderPublish)).toBe(idOf(spans.http));
    expect(spans.orderPublish!.attributes['messaging.message.id']).toBe(response.body.eventId);
  });
});
