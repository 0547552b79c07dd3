import { describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { ConsumeMessage } from 'amqplib';
import { PublishRejectedError } from '../errors/publish.errors.js';
import type { QueueMetrics } from '../metrics/queue-metrics.js';
import type { ChannelAcknowledger, Delivery } from './channel-acknowledger.js';
import type { HandlerDefinition } from './handler-registry.js';
import { partitionOf } from './partition-key.js';
import { PartitionRouter } from './partition-router.js';

const COUNT = 4;
const definition = {
  queue: 'shop.shipping',
  partitioning: { by: (event: { key: string }) => event.key, count: COUNT },
} as unknown as HandlerDefinition;

function message(key: string | undefined, seq: number): ConsumeMessage {
  return {
    content: Buffer.from(JSON.stringify({ key, seq })),
    fields: { routingKey: 'order.shipped', deliveryTag: seq },
    properties: { headers: {}, messageId: `m-${seq}` },
  } as unknown as ConsumeMessage;
}

/** A router over fakes: publishes wait for `confirm(i)` / `refuse(i)`; settlements are recorded in order. */
function harness() {
  const published: { queue: string; seq: number; answer: { resolve: () => void; reject: (error: Error) => void } }[] = [];
  const settled: string[] = [];
  const acknowledger = {
    ack: (m: ConsumeMessage) => settled.push(`ack ${m.fields.deliveryTag}`),
    nack: (m: ConsumeMessage, requeue: boolean) => settled.push(`nack ${m.fields.deliveryTag}${requeue ? ' requeue' : ''}`),
  } as unknown as ChannelAcknowledger;
  const router = new PartitionRouter(definition, {
    decoder: { read: (m: ConsumeMessage) => JSON.parse(m.content.toString()) as unknown },
    publisher: {
      publishRaw: (_exchange: string, queue: string, content: Buffer) =>
        new Promise<void>((resolve, reject) =>
          published.push({ queue, seq: (JSON.parse(content.toString()) as { seq: number }).seq, answer: { resolve, reject } }),
        ),
    },
    metrics: { settled: () => undefined } as unknown as QueueMetrics,
    logger: new Logger('test'),
  });
  const handle = (key: string | undefined, seq: number): Promise<void> => router.handle({ message: message(key, seq), acknowledger } as Delivery);
  return { router, handle, published, settled };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('PartitionRouter', () => {
  it("forwards each event to its key's partition queue, in delivery order, and acks in delivery order whatever order confirms come in", async () => {
    const { handle, published, settled } = harness();
    const done = [handle('a', 1), handle('b', 2), handle('a', 3)];
    await turn();
    expect(published.map((p) => [p.queue, p.seq])).toEqual([
      [`shop.shipping.p${partitionOf('a', COUNT)}`, 1],
      [`shop.shipping.p${partitionOf('b', COUNT)}`, 2],
      [`shop.shipping.p${partitionOf('a', COUNT)}`, 3],
    ]);
    published[2].answer.resolve();
    published[1].answer.resolve();
    await turn();
    expect(settled).toEqual([]); // the first is not confirmed yet: nothing behind it is acked
    published[0].answer.resolve();
    await Promise.all(done);
    expect(settled).toEqual(['ack 1', 'ack 2', 'ack 3']);
  });

  it("sends an event without a key to partition 0, where the handler's pipeline decides (it parks what it cannot read)", async () => {
    const { handle, published, settled } = harness();
    const done = [handle(undefined, 1), handle('a', 2)];
    await turn();
    expect(published[0].queue).toBe('shop.shipping.p0');
    for (const p of published) p.answer.resolve();
    await Promise.all(done);
    expect(settled).toEqual(['ack 1', 'ack 2']);
  });

  it('retries a refused forward in place after a backoff, unacked, and forwards what came after it only once it is confirmed', async () => {
    const { handle, published, settled } = harness();
    const startedAt = Date.now();
    const done = [handle('a', 1), handle('b', 2), handle('c', 3)];
    await turn();
    published[0].answer.resolve();
    published[1].answer.reject(new PublishRejectedError('nacked'));
    published[2].answer.resolve(); // already stored: acked after 2, never handed back
    await turn();
    expect(settled).toEqual(['ack 1']);
    // 4 came after the refusal (the ack of 1 refilled the window): it waits for 2, not forwarded ahead of it.
    done.push(handle('b', 4));
    await turn();
    expect(published.map((p) => p.seq)).toEqual([1, 2, 3]);
    // Never requeued: RabbitMQ 3.10 would put it at the back of a quorum queue, behind later events.
    while (published.length < 4) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(400); // REFUSAL_RETRY_MS
    expect(published[3]).toMatchObject({ queue: published[1].queue, seq: 2 });
    published[3].answer.reject(new PublishRejectedError('nacked again')); // the backoff doubles
    while (published.length < 5) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1_400);
    expect(published[4].seq).toBe(2);
    published[4].answer.resolve();
    while (published.length < 6) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(published[5].seq).toBe(4);
    published[5].answer.resolve();
    await Promise.all(done);
    expect(settled).toEqual(['ack 1', 'ack 2', 'ack 3', 'ack 4']);
  });

  it('leaves a delivery whose forward is refused unacked when the router stops (the channel close returns it to the front)', async () => {
    const { router, handle, published, settled } = harness();
    const done = handle('a', 1);
    await turn();
    published[0].answer.reject(new PublishRejectedError('nacked'));
    await turn();
    const behind = handle('a', 2); // came after the refusal: waits for 1
    await turn();
    router.stop();
    await Promise.all([done, behind]);
    expect(settled).toEqual([]);
    expect(published).toHaveLength(1); // neither forwarded again nor the one behind it forwarded ahead of it
  });
});
