import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Injectable } from '@nestjs/common';
import { ClientProxyFactory, Ctx, Payload, RmqRecordBuilder, Transport } from '@nestjs/microservices';
import { lastValueFrom, throwError, timeout } from 'rxjs';
import { HandleEvent, RabbitContext } from '../src/rabbitmq/index.js';
import { deadLetterQueueName } from '../src/rabbitmq/admin.js';
import { BrokerProbe, SHARED_AMQP_URL } from './support/broker.js';
import { type DemoApp, startDemoApp } from './support/demo-app.js';
import { GoPublisher, type ProducedEvent, publishWithPika } from './support/interop-producers.js';
import { type ProbeApp, startProbeApp } from './support/probe-app.js';
import { waitFor } from './support/wait-for.js';

/**
 * Producers warren did not write — Nest's built-in ClientRMQ, Python pika, Go amqp091-go — each
 * configured exactly as docs/interop.md shows, publish
 * to a running service. Every handler subscribed to the event must get it exactly once.
 */

interface Seen {
  handler: string;
  payload: unknown;
  /** The body as it travelled: proves which wire shape (Nest envelope or plain JSON) was read. */
  body: unknown;
  messageId?: string;
  contentType?: string;
  pattern: string;
}

@Injectable()
class Recorder {
  readonly seen: Seen[] = [];

  record(handler: string, payload: unknown, context: RabbitContext): void {
    const message = context.getMessage();
    this.seen.push({
      handler,
      payload,
      body: JSON.parse(message.content.toString('utf8')) as unknown,
      messageId: context.getMessageId(),
      contentType: message.properties.contentType as string | undefined,
      pattern: context.getPattern(),
    });
  }
}

/** Two teams' handlers of one event, plus one subscribed by wildcard. */
@Controller()
class BillingHandlers {
  constructor(private readonly recorder: Recorder) {}

  @HandleEvent('order.created')
  onOrderCreated(@Payload() order: unknown, @Ctx() context: RabbitContext): void {
    this.recorder.record('billing', order, context);
  }
}

@Controller()
class AuditHandlers {
  constructor(private readonly recorder: Recorder) {}

  @HandleEvent('order.created')
  onOrderCreated(@Payload() order: unknown, @Ctx() context: RabbitContext): void {
    this.recorder.record('audit', order, context);
  }

  @HandleEvent('order.*')
  onAnyOrder(@Payload() order: unknown, @Ctx() context: RabbitContext): void {
    this.recorder.record('audit-any', order, context);
  }
}

const HANDLERS = ['billing', 'audit', 'audit-any'];

describe('publishing from existing services (Nest ClientRMQ, Python pika, Go amqp091-go)', () => {
  let service: ProbeApp;
  let recorder: Recorder;
  let broker: BrokerProbe;
  let go: GoPublisher | undefined;

  beforeAll(async () => {
    service = await startProbeApp('interop', [BillingHandlers, AuditHandlers], {}, [Recorder]);
    recorder = service.app.get(Recorder);
    broker = await BrokerProbe.open();
  });

  afterEach(() => {
    recorder.seen.length = 0;
  });

  afterAll(async () => {
    await go?.dispose();
    await broker?.close();
    await service?.dispose();
  });

  function anOrder(): { orderId: string; customerId: string; items: { sku: string; quantity: number }[] } {
    return { orderId: randomUUID(), customerId: 'c-1', items: [{ sku: 'sku-1', quantity: 2 }] };
  }

  function plainEvent(order: object): ProducedEvent {
    return {
      amqpUrl: SHARED_AMQP_URL,
      exchange: service.exchange,
      routingKey: 'order.created',
      messageId: randomUUID(),
      body: JSON.stringify(order),
    };
  }

  /**
   * Emits with ClientRMQ configured as docs/interop.md shows. The emit resolves after the broker's
   * confirm; it is bounded because ClientRMQ retries a failing channel setup (e.g. a 406 on its
   * exchange declare) forever without failing the emit, and the client is always closed.
   */
  async function emitWithClientRmq(pattern: string, data: unknown): Promise<void> {
    const client = ClientProxyFactory.create({
      transport: Transport.RMQ,
      options: { urls: [SHARED_AMQP_URL], exchange: service.exchange, exchangeType: 'topic', wildcards: true, persistent: true },
    });
    try {
      const deadline = timeout({
        first: 20_000,
        with: () => throwError(() => new Error('ClientRMQ emit not confirmed within 20 s: see the ClientProxy error logged above')),
      });
      await lastValueFrom(client.emit(pattern, data).pipe(deadline), { defaultValue: undefined });
    } finally {
      await client.close();
    }
  }

  /**
   * Each handler's deliveries of `orderId`, once they are complete: a marker is published after
   * the producer's confirmed publish, so once every handler has seen the marker (queues are FIFO)
   * every copy of the event that reached a queue has been handled, and a missing or doubled
   * delivery shows in the counts.
   */
  async function deliveriesOf(orderId: string): Promise<Map<string, Seen[]>> {
    const marker = randomUUID();
    broker.publish(service.exchange, 'order.created', JSON.stringify({ marker }), { contentType: 'application/json' });
    const sawMarker = (handler: string): boolean =>
      recorder.seen.some((s) => s.handler === handler && (s.payload as { marker?: string }).marker === marker);
    await waitFor('every handler to reach the marker published after the event', () => HANDLERS.every(sawMarker), {
      timeoutMs: 30_000,
    });
    const byHandler = new Map<string, Seen[]>();
    for (const handler of HANDLERS) {
      byHandler.set(
        handler,
        recorder.seen.filter((s) => s.handler === handler && (s.payload as { orderId?: string }).orderId === orderId),
      );
    }
    return byHandler;
  }

  async function expectNothingParked(): Promise<void> {
    for (const queue of service.server.eventQueues()) {
      expect(await broker.ready(deadLetterQueueName(queue))).toBe(0);
    }
  }

  it("Nest ClientRMQ (exchange, topic, wildcards): every handler gets the {pattern, data} event's data once", async () => {
    const order = anOrder();
    await emitWithClientRmq('order.created', order);

    const deliveries = await deliveriesOf(order.orderId);
    for (const handler of HANDLERS) {
      const seen = deliveries.get(handler) ?? [];
      expect(seen).toHaveLength(1);
      // The handler gets `data`; the body on the wire was Nest's envelope.
      expect(seen[0]).toMatchObject({ payload: order, pattern: 'order.created', body: { pattern: 'order.created', data: order } });
    }
    await expectNothingParked();
  });

  it('Nest ClientRMQ with an RmqRecord: the messageId it sets is the one handlers de-duplicate on', async () => {
    const order = anOrder();
    const messageId = randomUUID();
    await emitWithClientRmq('order.created', new RmqRecordBuilder(order).setOptions({ messageId, contentType: 'application/json' }).build());

    const deliveries = await deliveriesOf(order.orderId);
    for (const handler of HANDLERS) {
      const seen = deliveries.get(handler) ?? [];
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ payload: order, messageId, contentType: 'application/json' });
    }
    await expectNothingParked();
  });

  it('Python pika (declare topic exchange, confirms, plain JSON): every handler gets the event once', async () => {
    const order = anOrder();
    const event = plainEvent(order);
    await publishWithPika(event);

    const deliveries = await deliveriesOf(order.orderId);
    for (const handler of HANDLERS) {
      const seen = deliveries.get(handler) ?? [];
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({
        payload: order,
        body: order,
        messageId: event.messageId,
        contentType: 'application/json',
        pattern: 'order.created',
      });
    }
    await expectNothingParked();
  });

  it('Go amqp091-go (declare topic exchange, confirms, plain JSON): every handler gets the event once', async () => {
    go = await GoPublisher.build();
    const order = anOrder();
    const event = plainEvent(order);
    await go.publish(event);

    const deliveries = await deliveriesOf(order.orderId);
    for (const handler of HANDLERS) {
      const seen = deliveries.get(handler) ?? [];
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({
        payload: order,
        body: order,
        messageId: event.messageId,
        contentType: 'application/json',
        pattern: 'order.created',
      });
    }
    await expectNothingParked();
  }, 240_000);
});

describe('a Go producer and the demo service (the seed: Go services publish, Node handlers consume)', () => {
  let demo: DemoApp;
  let go: GoPublisher;

  beforeAll(async () => {
    go = await GoPublisher.build();
    demo = await startDemoApp('interop-demo');
  }, 240_000);

  afterAll(async () => {
    await go?.dispose();
    await demo?.dispose();
  });

  async function publishOrder(orderId: string): Promise<void> {
    const order = { orderId, customerId: 'c-go', items: [{ sku: `sku-${orderId}`, quantity: 1 }], createdAt: new Date().toISOString() };
    await go.publish({
      amqpUrl: SHARED_AMQP_URL,
      exchange: demo.config.rabbitmq.exchange!,
      routingKey: 'order.created',
      messageId: randomUUID(),
      body: JSON.stringify(order),
    });
  }

  const mailsAbout = (orderId: string): string[] =>
    demo.mailer.sent
      .filter((mail) => mail.subject.includes(orderId))
      .map((mail) => mail.subject)
      .sort();

  it("order.created from Go reaches both of the demo's handlers once: inventory reserves, notifications mails", async () => {
    const orderId = randomUUID();
    await publishOrder(orderId);
    // A second order after the first: once its mails are out, every copy of the first was handled.
    const marker = randomUUID();
    await publishOrder(marker);
    await waitFor('the mails of the order published after it', () => mailsAbout(marker).length === 2, { timeoutMs: 30_000 });

    // Notifications handled order.created once; inventory reserved once (its inventory.reserved
    // event, mailed by notifications, would otherwise be missing or doubled).
    expect(mailsAbout(orderId)).toEqual([`Order ${orderId} is reserved`, `Order ${orderId} received`]);
    const broker = await BrokerProbe.open();
    try {
      for (const queue of demo.server.eventQueues()) {
        expect(await broker.ready(deadLetterQueueName(queue))).toBe(0);
      }
    } finally {
      await broker.close();
    }
  }, 60_000);
});
