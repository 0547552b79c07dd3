import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { AppConfig } from '../config/app-config.js';
import { ConfigModule } from '../config/config.module.js';
import { PublishRejectedError, RemoteHandlerError, RequestTimeoutError } from '../rabbitmq/index.js';
import { HandlerHarness } from '../rabbitmq/testing/index.js';
import { ORDER_CREATED } from '../orders/events/order-created.event.js';
import { INVENTORY_REJECTED, INVENTORY_RESERVED } from './inventory-events.js';
import { INVENTORY_STOCK } from './inventory-queries.js';
import { InventoryModule } from './inventory.module.js';
import { INITIAL_UNITS_PER_SKU, StockLedger } from './stock-ledger.js';

const order = (orderId: string, quantity: number) => ({ orderId, customerId: 'c-1', items: [{ sku: 'sku-1', quantity }] });

/** The app's configuration as the handler reads it (only the lookup delay matters here). */
const inventoryConfig = (inventoryLookupDelayMs = 0): ReturnType<typeof ConfigModule.forRoot> =>
  ConfigModule.forRoot(Object.assign(new AppConfig(), { inventoryLookupDelayMs }));

describe('InventoryHandler (warren/testing harness, no broker)', () => {
  let harness: HandlerHarness;

  beforeEach(async () => {
    harness = await HandlerHarness.create({ imports: [inventoryConfig(), InventoryModule] });
  });

  afterEach(() => harness.close());

  it('reserves the stock of a new order, announces inventory.reserved and acks', async () => {
    const delivery = await harness.publish(ORDER_CREATED, order('o-1', 2), { correlationId: 'req-1' });

    expect(delivery.result).toEqual({ kind: 'ack', queue: 'harness.inventory.order-created', handler: 'inventory.order-created' });
    expect(delivery.published).toHaveLength(1);
    expect(delivery.published[0]).toMatchObject({
      pattern: INVENTORY_RESERVED,
      payload: { orderId: 'o-1', customerId: 'c-1', items: [{ sku: 'sku-1', quantity: 2 }] },
      properties: { correlationId: 'req-1', type: INVENTORY_RESERVED },
    });
    expect(harness.get(StockLedger).unitsOf('sku-1')).toBe(INITIAL_UNITS_PER_SKU - 2);
  });

  it('announces inventory.rejected with the shortages when the stock does not cover the order', async () => {
    const delivery = await harness.publish(ORDER_CREATED, order('o-2', INITIAL_UNITS_PER_SKU + 1));

    expect(delivery.result.kind).toBe('ack');
    expect(delivery.published.map((event) => [event.pattern, event.payload])).toEqual([
      [
        INVENTORY_REJECTED,
        {
          orderId: 'o-2',
          customerId: 'c-1',
          reason: 'insufficient stock',
          shortages: [{ sku: 'sku-1', requested: INITIAL_UNITS_PER_SKU + 1, available: INITIAL_UNITS_PER_SKU }],
        },
      ],
    ]);
  });

  it('reserves once when the same order is delivered twice (at-least-once delivery)', async () => {
    await harness.publish(ORDER_CREATED, order('o-3', 5));
    await harness.publish(ORDER_CREATED, order('o-3', 5));

    expect(harness.get(StockLedger).unitsOf('sku-1')).toBe(INITIAL_UNITS_PER_SKU - 5);
  });

  it('parks an order without items at once as a ValidationError, publishing nothing', async () => {
    const delivery = await harness.publish(ORDER_CREATED, { orderId: 'o-4', customerId: 'c-1' });

    expect(delivery.result).toMatchObject({
      kind: 'dead-letter',
      deadLetterQueue: 'harness.inventory.order-created.dlq',
      errorType: 'ValidationError',
      retryCount: 0,
      retryable: false,
    });
    expect((delivery.result as { errorMessage: string }).errorMessage).toContain('items must be an array');
    expect(delivery.published).toEqual([]);
  });

  it('ignores fields it does not know (events evolve by adding fields)', async () => {
    const delivery = await harness.publish(ORDER_CREATED, { ...order('o-5', 1), channel: 'web', createdAt: '2026-01-01T00:00:00Z' });

    expect(delivery.result.kind).toBe('ack');
    expect(delivery.published[0].payload).toEqual({ orderId: 'o-5', customerId: 'c-1', items: [{ sku: 'sku-1', quantity: 1 }] });
  });

  it('is retried with the module default policy when its announcement cannot be published', async () => {
    harness.publisher.failWith(new PublishRejectedError('the broker nacked the publish'));

    const delivery = await harness.publish(ORDER_CREATED, order('o-6', 1));

    expect(delivery.result).toMatchObject({
      kind: 'retry',
      attempt: 1,
      delayMs: 1_000,
      retryQueue: 'harness.inventory.order-created.retry.1000',
      errorType: 'PublishRejectedError',
    });
    harness.publisher.failWith(undefined);
    const settled = await harness.retryUntilSettled(delivery.result);
    expect(settled.map((result) => result.kind)).toEqual(['retry', 'ack']);
    expect(harness.published.map((event) => event.pattern)).toEqual([INVENTORY_RESERVED]);
  });

  it('answers a stock request with the units left, after reservations', async () => {
    await expect(harness.request(INVENTORY_STOCK, { sku: 'sku-1' })).resolves.toEqual({ sku: 'sku-1', available: INITIAL_UNITS_PER_SKU });
    await harness.publish(ORDER_CREATED, order('o-7', 3));

    const delivery = await harness.deliverRequest(INVENTORY_STOCK, { sku: 'sku-1' });
    expect(delivery.result).toMatchObject({
      kind: 'replied',
      queue: 'warren.events.rpc.inventory.stock',
      handler: 'inventory.stock-level',
      reply: { value: { sku: 'sku-1', available: INITIAL_UNITS_PER_SKU - 3 } },
      sent: true,
    });
    expect(delivery.published).toEqual([]);
  });

  it('answers a stock request without a sku with a ValidationError, as the caller sees it (HTTP 502)', async () => {
    const error = await harness.request(INVENTORY_STOCK, { sku: '' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RemoteHandlerError);
    expect(error).toMatchObject({ remoteType: 'ValidationError' });
    expect((error as RemoteHandlerError).remoteMessage).toContain('sku');
  });
});

describe('InventoryHandler with a slow warehouse (INVENTORY_LOOKUP_DELAY_MS)', () => {
  it('a caller with a shorter timeout gets RequestTimeoutError (HTTP 504); a patient one gets the level', async () => {
    const harness = await HandlerHarness.create({ imports: [inventoryConfig(300), InventoryModule] });
    try {
      await expect(harness.request(INVENTORY_STOCK, { sku: 'sku-2' }, { timeoutMs: 50 })).rejects.toBeInstanceOf(RequestTimeoutError);
      await expect(harness.request(INVENTORY_STOCK, { sku: 'sku-2' }, { timeoutMs: 10_000 })).resolves.toEqual({
        sku: 'sku-2',
        available: INITIAL_UNITS_PER_SKU,
      });
    } finally {
      await harness.close();
    }
  });
});
