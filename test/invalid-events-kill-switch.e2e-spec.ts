import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Injectable } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import request from 'supertest';
import { HandleEvent } from '../src/rabbitmq/index.js';
import { INVENTORY_RESERVED } from '../src/inventory/inventory-events.js';
import { deadLetterQueueName, type RabbitServer } from '../src/rabbitmq/admin.js';
import { HEADER_ERROR_TYPE, HEADER_RETRY_COUNT } from '../src/rabbitmq/wire/message-headers.js';
import { BrokerProbe } from './support/broker.js';
import { type DemoApp, startDemoApp } from './support/demo-app.js';
import { type ProbeApp, startProbeApp } from './support/probe-app.js';
import { waitFor } from './support/wait-for.js';

const INVALID_EVENTS = 20;

function statusOf(server: RabbitServer, queue: string) {
  return server.consumerStatus().find((status) => status.queue === queue);
}

/**
 * Issue 21, point 2: twenty `null` `inventory.reserved` events made the notifications handler (a
 * union type, no DTO) throw a TypeError, retried and counted by the kill switch, which tripped:
 * a legitimate event behind them waited 57 s, and readiness said "ok" throughout. Now the
 * handler's DTO parks them as ValidationError, a programming error is parked too, and neither
 * counts toward the kill switch (only failures that mean a dependency is down do).
 * The demo service with its default kill switch (20 deliveries, 50 %, 30 s cool-down).
 */
describe('invalid events never pause a queue for the valid ones (demo service on the real broker)', () => {
  let demo: DemoApp;
  let broker: BrokerProbe;
  let queue: string;

  beforeAll(async () => {
    demo = await startDemoApp('invalid-flood');
    broker = await BrokerProbe.open();
    queue = demo.server.queues().find((name) => name.endsWith('.notifications.inventory-result'))!;
  });

  afterAll(async () => {
    await broker?.close();
    await demo?.dispose();
  });

  it(`${INVALID_EVENTS} null inventory.reserved events are parked at once; a valid one right behind them is mailed without waiting`, async () => {
    for (let i = 0; i < INVALID_EVENTS; i++) {
      broker.publish(demo.config.rabbitmq.exchange!, INVENTORY_RESERVED, 'null', { contentType: 'application/json', messageId: `null-${i}` });
    }
    // The valid event comes once the invalid ones were handled (before: the switch had tripped by then).
    await waitFor('the null events handled once', async () => (await broker.ready(queue)) === 0 && statusOf(demo.server, queue)?.inFlight === 0);
    const publishedAt = Date.now();
    broker.publish(demo.config.rabbitmq.exchange!, INVENTORY_RESERVED, JSON.stringify({ orderId: 'o-legit', customerId: 'c-1', items: [] }), {
      contentType: 'application/json',
    });
    // Before: 57 s (the switch tripped and re-tripped on each retry round). A cool-down is 30 s.
    await waitFor('the valid event mailed', () => demo.mailer.sent.some((mail) => mail.subject === 'Order o-legit is reserved'), {
      timeoutMs: 10_000,
    });
    const waitedMs = Date.now() - publishedAt;
    // eslint-disable-next-line no-console
    console.log(`a valid event behind ${INVALID_EVENTS} null ones was handled ${waitedMs} ms after it was published`);
    expect(waitedMs).toBeLessThan(5_000);

    await waitFor('all the null events parked', async () => (await broker.ready(deadLetterQueueName(queue))) === INVALID_EVENTS);
    const first = (await broker.take(deadLetterQueueName(queue)))!;
    expect(first.properties.headers).toMatchObject({ [HEADER_ERROR_TYPE]: 'ValidationError', [HEADER_RETRY_COUNT]: 0 });
    expect(statusOf(demo.server, queue)).toMatchObject({
      killSwitch: 'closed',
      consuming: true,
      pausedFor: [],
    });

    // What readiness and metrics say about it: the switch is closed, the instance ready.
    const ready = await request(demo.app.getHttpServer()).get('/health/ready');
    expect(ready.status).toBe(200);
    const details = (ready.body as { details: { rabbitmq: { killSwitchesOpen: number; consumers: { queue: string; killSwitch: string }[] } } })
      .details.rabbitmq;
    expect(details.killSwitchesOpen).toBe(0);
    expect(details.consumers.find((consumer) => consumer.queue === queue)?.killSwitch).toBe('closed');
  });
});

@Injectable()
class Handled {
  readonly orders: string[] = [];
}

@Controller()
class UnvalidatedHandlers {
  constructor(private readonly handled: Handled) {}

  /** No DTO: a null payload makes it throw a TypeError, as the demo's union-typed handler did. */
  @HandleEvent('buggy.reserved')
  reserved(@Payload() event: unknown): void {
    this.handled.orders.push((event as { orderId: string }).orderId);
  }
}

describe('a programming error in a handler is parked at once and never trips the kill switch (real broker)', () => {
  let probeApp: ProbeApp;
  let broker: BrokerProbe;
  let handled: Handled;
  const queue = () => probeApp.server.queues()[0];

  beforeAll(async () => {
    // A switch far touchier than the default: 2 failures of the last 4 would trip it.
    probeApp = await startProbeApp(
      'buggy',
      [UnvalidatedHandlers],
      { consume: { killSwitch: { window: 4, failureRatio: 0.5, cooldownMs: 60_000 } } },
      [Handled],
    );
    handled = probeApp.app.get(Handled);
    broker = await BrokerProbe.open();
  });

  afterAll(async () => {
    await broker?.close();
    await probeApp?.dispose();
  });

  it(`${INVALID_EVENTS} TypeErrors: each parked with its reason, no retry; the valid event behind them is handled`, async () => {
    for (let i = 0; i < INVALID_EVENTS; i++) {
      broker.publish(probeApp.exchange, 'buggy.reserved', 'null', { contentType: 'application/json' });
    }
    await waitFor(
      'the null events handled once',
      async () => (await broker.ready(queue())) === 0 && statusOf(probeApp.server, queue())?.inFlight === 0,
    );
    broker.publish(probeApp.exchange, 'buggy.reserved', JSON.stringify({ orderId: 'o-legit' }), { contentType: 'application/json' });

    await waitFor('the valid event handled', () => handled.orders.includes('o-legit'), { timeoutMs: 5_000 });
    await waitFor('every TypeError parked', async () => (await broker.ready(deadLetterQueueName(queue()))) === INVALID_EVENTS);
    const first = (await broker.take(deadLetterQueueName(queue())))!;
    expect(first.properties.headers).toMatchObject({ [HEADER_ERROR_TYPE]: 'TypeError', [HEADER_RETRY_COUNT]: 0 });
    expect(String(first.properties.headers?.['x-error-message'])).toContain("reading 'orderId'");
    expect(probeApp.server.consumerStatus()[0]).toMatchObject({ killSwitch: 'closed', consuming: true, pausedFor: [] });
  });
});
