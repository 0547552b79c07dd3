import { setImmediate as nextCheck } from 'node:timers/promises';
import { describe, expect, it } from '@jest/globals';
import type { ConsumeMessage } from 'amqplib';
import { AckBatcher, type AckSink } from './ack-batcher.js';

/** What the batcher sent, as `ack 5`, `ack ≤5` (multiple) or `nack 5 requeue`. */
class RecordingSink implements AckSink {
  readonly frames: string[] = [];
  ack(message: ConsumeMessage, allUpTo?: boolean): void {
    this.frames.push(`ack ${allUpTo ? '≤' : ''}${message.fields.deliveryTag}`);
  }
  nack(message: ConsumeMessage, _allUpTo?: boolean, requeue?: boolean): void {
    this.frames.push(`nack ${message.fields.deliveryTag}${requeue ? ' requeue' : ''}`);
  }
}

function deliveries(count: number): ConsumeMessage[] {
  return Array.from({ length: count }, (_, i) => ({ fields: { deliveryTag: i + 1 } }) as ConsumeMessage);
}

function batcherWith(count: number) {
  const sink = new RecordingSink();
  const batcher = new AckBatcher(sink);
  const messages = deliveries(count);
  messages.forEach((message) => batcher.delivered(message));
  return { sink, batcher, messages };
}

describe('AckBatcher', () => {
  it('sends a burst of acks as one multiple ack once the turn of the event loop ends', async () => {
    const { sink, batcher, messages } = batcherWith(50);
    for (const message of [...messages].reverse()) {
      batcher.ack(message);
    }
    expect(sink.frames).toEqual([]);
    await nextCheck();
    expect(sink.frames).toEqual(['ack ≤50']);
  });

  it('never covers a delivery still being handled: acks above it go one by one', async () => {
    const { sink, batcher, messages } = batcherWith(5);
    // 3 is still in the handler.
    [1, 2, 4, 5].forEach((tag) => batcher.ack(messages[tag - 1]));
    await nextCheck();
    expect(sink.frames.sort()).toEqual(['ack 4', 'ack 5', 'ack ≤2']);
    batcher.ack(messages[2]);
    batcher.flush();
    expect(sink.frames.at(-1)).toBe('ack 3');
  });

  it('sends a single ack without the multiple flag', () => {
    const { sink, batcher, messages } = batcherWith(2);
    batcher.ack(messages[0]);
    batcher.flush();
    expect(sink.frames).toEqual(['ack 1']);
  });

  it('sends nacks at once, and a later multiple ack may reach past them (they are settled)', () => {
    const { sink, batcher, messages } = batcherWith(3);
    batcher.nack(messages[1], true);
    expect(sink.frames).toEqual(['nack 2 requeue']);
    batcher.ack(messages[0]);
    batcher.ack(messages[2]);
    batcher.flush();
    expect(sink.frames).toEqual(['nack 2 requeue', 'ack ≤3']);
  });

  it('flush sends pending acks at once and the scheduled flush then sends nothing twice', async () => {
    const { sink, batcher, messages } = batcherWith(2);
    batcher.ack(messages[0]);
    batcher.ack(messages[1]);
    batcher.flush();
    await nextCheck();
    expect(sink.frames).toEqual(['ack ≤2']);
  });

  it('reset drops pending acks and forgets open deliveries (their channel is gone)', async () => {
    const { sink, batcher, messages } = batcherWith(3);
    batcher.ack(messages[1]);
    batcher.reset();
    await nextCheck();
    expect(sink.frames).toEqual([]);
    // Tags start again at 1 on the new channel: the old tag 1 no longer holds acks back.
    const fresh = deliveries(2);
    fresh.forEach((message) => batcher.delivered(message));
    batcher.ack(fresh[1]);
    batcher.ack(fresh[0]);
    batcher.flush();
    expect(sink.frames).toEqual(['ack ≤2']);
  });
});
