import { describe, expect, it } from '@jest/globals';
import type { MessageHandler } from '@nestjs/microservices';
import { HandlerRegistrationError } from '../errors/handler-registration.error.js';
import { RABBITMQ_DEFAULTS } from '../options/rabbitmq-defaults.js';
import { HandlerRegistry } from './handler-registry.js';
import { DEFAULT_PARTITIONS, isPartitionKey, partitionOf } from './partition-key.js';
import { parkingQueueOf, partitionDefinitions, partitionQueues } from './partition-plan.js';

const handler: MessageHandler = () => Promise.resolve(undefined);
const registry = (): HandlerRegistry => new HandlerRegistry('shop', 50, 30_000, RABBITMQ_DEFAULTS.consume.retry);
const by = (event: { orderId: string }) => event.orderId;

describe('partition keys', () => {
  it('sends a key to the same partition every time, in range, and spreads many keys over every partition', () => {
    expect(partitionOf('order-42', 8)).toBe(partitionOf('order-42', 8));
    expect(partitionOf(42, 8)).toBe(partitionOf('42', 8)); // a number and its text are one key
    const counts = Array<number>(8).fill(0);
    for (let i = 0; i < 8_000; i++) counts[partitionOf(`order-${i}`, 8)] += 1;
    // Each partition within ±20% of the fair 1,000.
    for (const count of counts) expect(Math.abs(count - 1_000)).toBeLessThan(200);
  });

  it('is FNV-1a over the UTF-8 bytes (fixed values, so another language can route alike)', () => {
    expect(partitionOf('a', 1_000_000)).toBe(0xe40c292c % 1_000_000);
    expect(partitionOf('', 7)).toBe(0x811c9dc5 % 7);
  });

  it('takes non-empty strings and finite numbers as keys, nothing else', () => {
    expect([isPartitionKey('a'), isPartitionKey(0), isPartitionKey(-1.5)]).toEqual([true, true, true]);
    expect([isPartitionKey(''), isPartitionKey(undefined), isPartitionKey(null), isPartitionKey(NaN), isPartitionKey({})]).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});

describe('handlers ordered by key', () => {
  it('resolve to a router on the handler queue (single active consumer, the prefetch as its window) and 8 partitions by default', () => {
    const definition = registry().register('order.created', handler, { handler: 'shipping.order', ordered: { by } });
    expect(definition).toMatchObject({
      queue: 'shop.shipping.order',
      ordered: true,
      prefetch: 50,
      partitioning: { by, count: DEFAULT_PARTITIONS },
      queueArguments: { 'x-single-active-consumer': true },
    });
    const partitions = partitionDefinitions(definition);
    expect(partitions.map((partition) => partition.queue)).toEqual(Array.from({ length: 8 }, (_, i) => `shop.shipping.order.p${i}`));
    expect(partitions[3]).toMatchObject({
      ordered: true,
      prefetch: 1,
      concurrency: 1,
      queueArguments: { 'x-single-active-consumer': true },
      partitionOf: { handlerQueue: 'shop.shipping.order', index: 3 },
      handlerName: 'shipping.order',
      pattern: 'order.created',
    });
    expect(partitions[3].partitioning).toBeUndefined();
    expect(parkingQueueOf(partitions[3])).toBe('shop.shipping.order.dlq');
    expect(partitionQueues(definition)).toContain('shop.shipping.order.replicas');
  });

  it('take the partition count from the option', () => {
    const definition = registry().register('order.created', handler, { handler: 'a.b', ordered: { by, partitions: 3 } });
    expect(partitionDefinitions(definition)).toHaveLength(3);
    expect(partitionDefinitions(registry().register('x', handler, { handler: 'c.d', ordered: true }))).toEqual([]);
  });

  it.each([
    [{ by: 'orderId' }, /give \{ by: \(event\) => key \}/],
    [{ by, partitions: 0 }, /partitions must be an integer from 1 to 64, got 0/],
    [{ by, partitions: 65 }, /partitions must be an integer from 1 to 64/],
    [{ by, partitions: 2.5 }, /partitions must be an integer/],
  ])('refuses ordered %p at start-up', (ordered, message) => {
    expect(() => registry().register('order.created', handler, { handler: 'a.b', ordered: ordered as never })).toThrow(message);
  });

  it('refuses concurrency (the partitions are the concurrency) and a request handler ordered by key', () => {
    expect(() => registry().register('o', handler, { handler: 'a.b', ordered: { by }, concurrency: 4 })).toThrow(HandlerRegistrationError);
    expect(() => registry().register('o', handler, { handler: 'a.b', ordered: { by } }, 'request')).toThrow(
      /request handler cannot be ordered by key/,
    );
  });
});
