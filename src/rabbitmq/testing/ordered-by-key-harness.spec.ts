import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Injectable } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { HandleEvent, RabbitContext, Retry } from '../index.js';
import { partitionOf } from '../server/partition-key.js';
import { HandlerHarness } from './index.js';

const PARTITIONS = 4;
/** Two keys of different partitions, and a third sharing the first one's partition. */
const KEY_A = 'order-a';
const KEY_B = keyWhere((key) => partitionOf(key, PARTITIONS) !== partitionOf(KEY_A, PARTITIONS));
const KEY_A_NEIGHBOUR = keyWhere((key) => key !== KEY_A && partitionOf(key, PARTITIONS) === partitionOf(KEY_A, PARTITIONS));

function keyWhere(fits: (key: string) => boolean): string {
  for (let i = 0; ; i++) {
    if (fits(`order-${i}`)) return `order-${i}`;
  }
}

interface Shipment {
  orderId?: string;
  seq: number;
  fail?: boolean;
}

/** What the handler did, in order. `holdUntil` keeps a shipment's handler running until another shipment is done. */
@Injectable()
class Shipments {
  readonly steps: string[] = [];
  readonly done = new Map<string, () => void>();
  readonly finished = new Map<string, Promise<void>>();
  holdUntil?: { seq: number; other: number };

  finishedPromise(seq: number): Promise<void> {
    const key = String(seq);
    if (!this.finished.has(key)) this.finished.set(key, new Promise<void>((resolve) => this.done.set(key, resolve)));
    return this.finished.get(key)!;
  }
}

@Controller([])
class ShipmentHandler {
  constructor(private readonly shipments: Shipments) {}

  @HandleEvent('shipment.ready', { ordered: { by: (event: Shipment) => event.orderId, partitions: PARTITIONS } })
  @Retry({ attempts: 2, delaysMs: [60_000, 60_000] })
  async onReady(@Payload() shipment: Shipment, @Ctx() context: RabbitContext): Promise<void> {
    const { shipments } = this;
    const attempt = context.getRetryCount();
    shipments.steps.push(`start ${shipment.seq}/${attempt}`);
    const hold = shipments.holdUntil;
    if (hold?.seq === shipment.seq && attempt === 0) {
      // If the harness held the other shipment behind this one, this would wait forever: 2 s, then say so.
      const other = shipments.finishedPromise(hold.other).then(() => 'released');
      const timeout = new Promise((resolve) => setTimeout(() => resolve('held'), 2_000).unref());
      shipments.steps.push(`${String(await Promise.race([other, timeout]))} ${shipment.seq}`);
    }
    if (shipment.fail) {
      throw new Error(`carrier refused ${shipment.seq}`);
    }
    shipments.steps.push(`done ${shipment.seq}`);
    void shipments.finishedPromise(shipment.seq);
    shipments.done.get(String(shipment.seq))?.();
  }
}

describe('HandlerHarness with a handler ordered by key', () => {
  let harness: HandlerHarness;

  afterEach(() => harness?.close());

  const create = () => HandlerHarness.create({ handlers: [ShipmentHandler], providers: [Shipments] });
  const publish = (shipment: Shipment) => harness.publish('shipment.ready', shipment, { messageId: `s-${shipment.seq}` });

  it("holds only the failing key's partition: other keys run meanwhile, the key's next event waits until it is parked", async () => {
    harness = await create();
    const shipments = harness.get(Shipments);
    // Shipment 1 (key A) runs until shipment 4 (key B, another partition) is done, then fails to the end.
    shipments.holdUntil = { seq: 1, other: 4 };

    const [a1, a2, b3, b4] = await Promise.all([
      publish({ orderId: KEY_A, seq: 1, fail: true }),
      publish({ orderId: KEY_A, seq: 2 }),
      publish({ orderId: KEY_B, seq: 3 }),
      publish({ orderId: KEY_B, seq: 4 }),
    ]);

    expect(shipments.steps).toContain('released 1');
    expect(shipments.steps.indexOf('done 4')).toBeLessThan(shipments.steps.indexOf('start 1/1'));
    expect(shipments.steps.indexOf('start 1/2')).toBeLessThan(shipments.steps.indexOf('start 2/0'));
    const queue = 'harness.shipment.ready';
    expect(a1.result).toMatchObject({
      kind: 'dead-letter',
      queue: `${queue}.p${partitionOf(KEY_A, PARTITIONS)}`,
      deadLetterQueue: `${queue}.dlq`,
      retryCount: 2,
      partition: partitionOf(KEY_A, PARTITIONS),
      waitedFor: [],
    });
    expect(a1.result.kind === 'dead-letter' && a1.result.retriedInPlace).toHaveLength(2);
    expect(a2.result).toMatchObject({ kind: 'ack', partition: partitionOf(KEY_A, PARTITIONS), waitedFor: ['s-1'] });
    expect(b3.result).toMatchObject({ kind: 'ack', partition: partitionOf(KEY_B, PARTITIONS), waitedFor: [] });
    expect(b4.result).toMatchObject({ kind: 'ack', waitedFor: ['s-3'] });
  });

  it('holds another key that hashes to the same partition, as production does', async () => {
    harness = await create();
    harness.get(Shipments).holdUntil = { seq: 1, other: 2 };

    const [first, neighbour] = await Promise.all([publish({ orderId: KEY_A, seq: 1 }), publish({ orderId: KEY_A_NEIGHBOUR, seq: 2 })]);

    expect(harness.get(Shipments).steps.slice(0, 3)).toEqual(['start 1/0', 'held 1', 'done 1']);
    expect(first.result).toMatchObject({ kind: 'ack' });
    expect(neighbour.result).toMatchObject({ kind: 'ack', partition: partitionOf(KEY_A, PARTITIONS), waitedFor: ['s-1'] });
  });

  it('handles an event without a key in partition 0, as the router forwards it', async () => {
    harness = await create();
    const result = (await publish({ seq: 9 })).result;
    expect(result).toMatchObject({ kind: 'ack', queue: 'harness.shipment.ready.p0', partition: 0 });
  });
});
