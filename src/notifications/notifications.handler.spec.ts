import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { INVENTORY_REJECTED, INVENTORY_RESERVED } from '../inventory/inventory-events.js';
import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { ORDER_CREATED } from '../orders/events/order-created.event.js';
import { HandleEvent, RabbitClient } from '../rabbitmq/index.js';
import { HandlerHarness, type HandlerResult } from '../rabbitmq/testing/index.js';
import { USER_REGISTERED } from '../users/events/user-registered.event.js';
import { type Mail, Mailer } from './mailer.port.js';
import { NotificationsModule } from './notifications.module.js';

/** The downstream, faked: records mails, or fails like an SMTP server that is down. */
class FakeMailer extends Mailer {
  readonly sent: Mail[] = [];
  down = false;

  async send(mail: Mail): Promise<void> {
    if (this.down) {
      throw new Error('smtp: connection refused');
    }
    this.sent.push(mail);
  }
}

const user = { userId: 'u-1', email: 'ada@example.com', name: 'Ada' };

describe('NotificationsHandler (warren/testing harness, no broker)', () => {
  let harness: HandlerHarness;
  let mailer: FakeMailer;

  beforeEach(async () => {
    mailer = new FakeMailer();
    // The module's real Mailer (LoggingMailer) is replaced by the fake.
    harness = await HandlerHarness.create({ imports: [NotificationsModule], overrides: [{ provide: Mailer, useValue: mailer }] });
  });

  afterEach(() => harness.close());

  it('welcomes a registered user and acks', async () => {
    const delivery = await harness.publish(USER_REGISTERED, user);

    expect(delivery.result).toEqual({ kind: 'ack', queue: 'harness.notifications.user-registered', handler: 'notifications.user-registered' });
    expect(mailer.sent).toEqual([{ to: 'ada@example.com', subject: 'Welcome, Ada', text: 'Thanks for signing up.' }]);
  });

  it('confirms an order to its customer', async () => {
    await harness.publish(ORDER_CREATED, {
      orderId: 'o-1',
      customerId: 'c-1',
      items: [
        { sku: 's', quantity: 1 },
        { sku: 't', quantity: 2 },
      ],
    });

    expect(mailer.sent).toEqual([{ to: 'customer:c-1', subject: 'Order o-1 received', text: '2 item(s) ordered.' }]);
  });

  it('tells the stock result apart by routing key on its one inventory.* queue', async () => {
    const reserved = await harness.publish(INVENTORY_RESERVED, { orderId: 'o-2', customerId: 'c-2', items: [] });
    const rejected = await harness.publish(INVENTORY_REJECTED, { orderId: 'o-3', reason: 'insufficient stock', shortages: [] });

    expect([reserved.result.handler, rejected.result.handler]).toEqual(['notifications.inventory-result', 'notifications.inventory-result']);
    expect(mailer.sent).toEqual([
      { to: 'customer:c-2', subject: 'Order o-2 is reserved', text: 'Your items are set aside and will ship soon.' },
      // An older producer's event without customerId still gets a mail, to the order.
      { to: 'order:o-3', subject: 'Order o-3 could not be reserved', text: 'Sorry: insufficient stock.' },
    ]);
  });

  it('parks a stock result that is null or lacks its orderId at once as a ValidationError (no TypeError, no retry)', async () => {
    const nullEvent = await harness.publish(INVENTORY_RESERVED, null);
    const noOrder = await harness.publish(INVENTORY_REJECTED, { reason: 'insufficient stock' });

    expect(nullEvent.result).toMatchObject({ kind: 'dead-letter', errorType: 'ValidationError', retryable: false });
    expect(noOrder.result).toMatchObject({ kind: 'dead-letter', errorType: 'ValidationError', retryable: false });
    expect(mailer.sent).toEqual([]);
  });

  it('parks a registration with an invalid email at once, sending nothing', async () => {
    const delivery = await harness.publish(USER_REGISTERED, { ...user, email: 'not-an-email' });

    expect(delivery.result).toMatchObject({
      kind: 'dead-letter',
      errorType: 'ValidationError',
      errorMessage: 'email must be an email',
      retryable: false,
    });
    expect(mailer.sent).toEqual([]);
  });

  it('retries while the mail server is down and sends once it is back', async () => {
    mailer.down = true;
    const first = (await harness.publish(USER_REGISTERED, user)).result;
    expect(first).toMatchObject({ kind: 'retry', attempt: 1, delayMs: 1_000, errorType: 'Error', errorMessage: 'smtp: connection refused' });

    mailer.down = false;
    const rest = await harness.retryUntilSettled(first);

    expect(rest.map((result) => result.kind)).toEqual(['retry', 'ack']);
    expect(mailer.sent).toHaveLength(1);
  });

  it('parks the mail after the default 5 retries (1 s, 5 s, 30 s, 2 min, 10 min) when the server stays down', async () => {
    mailer.down = true;
    const attempts = await harness.retryUntilSettled((await harness.publish(USER_REGISTERED, user)).result);

    const retries = attempts.filter((result): result is Extract<HandlerResult, { kind: 'retry' }> => result.kind === 'retry');
    expect(retries.map((result) => [result.attempt, result.delayMs])).toEqual([
      [1, 1_000],
      [2, 5_000],
      [3, 30_000],
      [4, 120_000],
      [5, 600_000],
    ]);
    expect(attempts.at(-1)).toMatchObject({
      kind: 'dead-letter',
      deadLetterQueue: 'harness.notifications.user-registered.dlq',
      retryCount: 5,
      retryable: true,
    });
  });
});

/**
 * A second team's handler of order.created that publishes an onward event. (The demo's inventory handler does this
 * through the PostgreSQL outbox and inbox, which the broker-less harness does not run: test/orders.e2e-spec.ts covers it.)
 */
@Controller()
class StockProbeHandler {
  constructor(private readonly events: RabbitClient) {}

  @HandleEvent(ORDER_CREATED)
  async onOrderCreated(@Payload() order: { orderId: string }): Promise<void> {
    await this.events.publish(INVENTORY_RESERVED, { orderId: order.orderId });
  }
}

describe('order.created with a second handler beside notifications (warren/testing harness)', () => {
  it('reaches both handlers, each on its own queue with its own outcome', async () => {
    const mailer = new FakeMailer();
    mailer.down = true;
    const harness = await HandlerHarness.create({
      imports: [NotificationsModule],
      handlers: [StockProbeHandler],
      overrides: [{ provide: Mailer, useValue: mailer }],
    });
    try {
      const delivery = await harness.publish(ORDER_CREATED, { orderId: 'o-9', customerId: 'c-9', items: [{ sku: 's', quantity: 1 }] });

      expect(delivery.results.map((result) => result.handler).sort()).toEqual(['notifications.order-created', 'stock-probe.order-created']);
      expect(delivery.of('stock-probe.order-created').kind).toBe('ack');
      expect(delivery.of('notifications.order-created').kind).toBe('retry');
      expect(delivery.published.map((event) => event.pattern)).toEqual([INVENTORY_RESERVED]);
      expect(() => delivery.result).toThrow(/reached 2 handlers/);
    } finally {
      await harness.close();
    }
  });
});
