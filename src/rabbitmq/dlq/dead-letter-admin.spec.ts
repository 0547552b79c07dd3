import { EventEmitter } from 'node:events';
import { describe, expect, it } from '@jest/globals';
import type { ChannelModel, GetMessage, Options } from 'amqplib';
import { DeadLetterAdmin } from './dead-letter-admin.js';
import {
  DeadLetterQueueNotFoundError,
  InvalidDeadLetterRequestError,
  OriginatingQueueNotFoundError,
  ReplayPublishError,
} from '../errors/dead-letter.errors.js';

type PublishOutcome = 'ack' | 'nack' | 'return' | 'hang';

interface Stored {
  id: string;
  headers: Record<string, unknown>;
}

/**
 * An in-memory stand-in for the broker, just enough of amqplib's channel API to check the
 * replay protocol: what is acked when, what goes back to the queue, what is published.
 */
class FakeBroker {
  readonly queues = new Map<string, Stored[]>();
  readonly log: string[] = [];
  readonly closedChannels: FakeChannel[] = [];
  publishOutcome: PublishOutcome = 'ack';
  /** Runs after each confirmed publish, e.g. to park the copy again at once. */
  afterPublish?: (queue: string, message: Stored) => void;

  fill(queue: string, ids: string[], headers: Record<string, unknown> = {}): void {
    this.queues.set(
      queue,
      ids.map((id) => ({ id, headers: { 'x-error-type': 'BoomError', 'x-retry-count': 3, ...headers } })),
    );
  }

  ids(queue: string): string[] {
    return (this.queues.get(queue) ?? []).map((m) => m.id);
  }

  connection(): ChannelModel {
    return {
      createChannel: async () => new FakeChannel(this),
      createConfirmChannel: async () => new FakeChannel(this),
    } as unknown as ChannelModel;
  }
}

class FakeChannel extends EventEmitter {
  private readonly unacked = new Map<number, { queue: string; stored: Stored }>();
  private tag = 0;
  private closed = false;

  constructor(private readonly broker: FakeBroker) {
    super();
  }

  async checkQueue(queue: string): Promise<{ queue: string; messageCount: number; consumerCount: number }> {
    const stored = this.broker.queues.get(queue);
    if (!stored) {
      this.closed = true;
      this.emit('error', Object.assign(new Error(`NOT_FOUND - no queue '${queue}'`), { code: 404 }));
      throw Object.assign(new Error(`Operation failed: QueueDeclare; 404 (NOT-FOUND) with message "NOT_FOUND - no queue '${queue}'"`), {
        code: 404,
      });
    }
    return { queue, messageCount: stored.length, consumerCount: 0 };
  }

  async get(queue: string, options: Options.Get): Promise<GetMessage | false> {
    this.assertOpen();
    const stored = this.broker.queues.get(queue)?.shift();
    if (!stored) {
      return false;
    }
    const deliveryTag = ++this.tag;
    if (options.noAck === false) {
      this.unacked.set(deliveryTag, { queue, stored });
    }
    this.broker.log.push(`get ${stored.id}`);
    return {
      content: Buffer.from(JSON.stringify({ id: stored.id })),
      fields: { deliveryTag, redelivered: false, exchange: '', routingKey: queue, messageCount: 0 },
      properties: { messageId: stored.id, headers: stored.headers, contentType: 'application/json' },
    } as unknown as GetMessage;
  }

  publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish, callback: (error: unknown) => void): boolean {
    this.assertOpen();
    const id = (JSON.parse(content.toString()) as { id: string }).id;
    this.broker.log.push(`publish ${id} to ${exchange || '(default)'}/${routingKey}`);
    const outcome = this.broker.publishOutcome;
    setImmediate(() => {
      if (outcome === 'hang') {
        return;
      }
      if (outcome === 'nack') {
        callback(new Error('message nacked'));
        return;
      }
      if (outcome === 'return') {
        this.emit('return', { content });
      } else {
        const stored = { id, headers: options.headers ?? {} };
        this.broker.queues.get(routingKey)?.push(stored);
        this.broker.afterPublish?.(routingKey, stored);
      }
      this.broker.log.push(`confirm ${id}`);
      callback(null);
    });
    return true;
  }

  ack(message: GetMessage): void {
    const entry = this.unacked.get(message.fields.deliveryTag);
    this.unacked.delete(message.fields.deliveryTag);
    this.broker.log.push(`ack ${entry?.stored.id}`);
  }

  nack(message: GetMessage, _allUpTo?: boolean, requeue = true): void {
    const entry = this.unacked.get(message.fields.deliveryTag);
    this.unacked.delete(message.fields.deliveryTag);
    this.broker.log.push(`nack ${entry?.stored.id}`);
    if (entry && requeue) {
      this.broker.queues.get(entry.queue)?.unshift(entry.stored);
    }
  }

  async purgeQueue(queue: string): Promise<{ messageCount: number }> {
    const count = this.broker.queues.get(queue)?.length ?? 0;
    this.broker.queues.set(queue, []);
    return { messageCount: count };
  }

  /** Like the broker: unacked deliveries go back to the head of their queue, in order. */
  async close(): Promise<void> {
    const returned = [...this.unacked.values()].reverse();
    for (const { queue, stored } of returned) {
      this.broker.queues.get(queue)?.unshift(stored);
    }
    this.unacked.clear();
    this.closed = true;
    this.broker.closedChannels.push(this);
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new Error('Channel closed');
    }
  }
}

function brokerWith(dlqIds: string[]): FakeBroker {
  const broker = new FakeBroker();
  broker.fill('q.dlq', dlqIds);
  broker.queues.set('q', []);
  return broker;
}

describe('DeadLetterAdmin.replay', () => {
  it('publishes each copy to the originating queue and acks the parked message only after the confirm', async () => {
    const broker = brokerWith(['a', 'b']);
    const result = await new DeadLetterAdmin(broker.connection()).replay('q');
    expect(result).toEqual({ queue: 'q', dlq: 'q.dlq', replayed: 2, skipped: 0 });
    expect(broker.log).toEqual([
      'get a',
      'publish a to (default)/q',
      'confirm a',
      'ack a',
      'get b',
      'publish b to (default)/q',
      'confirm b',
      'ack b',
    ]);
    expect(broker.ids('q')).toEqual(['a', 'b']);
    expect(broker.ids('q.dlq')).toEqual([]);
    expect(broker.queues.get('q')?.[0].headers).toMatchObject({ 'x-retry-count': 0, 'x-last-error-type': 'BoomError' });
  });

  it('accepts the DLQ name and honours a limit, oldest first', async () => {
    const broker = brokerWith(['a', 'b', 'c']);
    expect(await new DeadLetterAdmin(broker.connection()).replay('q.dlq', { limit: 2 })).toMatchObject({ replayed: 2 });
    expect(broker.ids('q')).toEqual(['a', 'b']);
    expect(broker.ids('q.dlq')).toEqual(['c']);
  });

  it.each<[PublishOutcome, RegExp]>([
    ['nack', /was not confirmed \(message nacked\)/],
    ['return', /was returned by the broker as unroutable/],
  ])('leaves the message parked when the broker answers %s, and stops', async (outcome, reason) => {
    const broker = brokerWith(['a', 'b']);
    broker.publishOutcome = outcome;
    const replay = new DeadLetterAdmin(broker.connection()).replay('q');
    await expect(replay).rejects.toThrow(ReplayPublishError);
    await expect(replay).rejects.toThrow(reason);
    expect(broker.log).not.toContain('ack a');
    expect(broker.ids('q.dlq')).toEqual(['a', 'b']);
  });

  it('gives up on a copy not confirmed in time, with the message still parked', async () => {
    const broker = brokerWith(['a']);
    broker.publishOutcome = 'hang';
    const replay = new DeadLetterAdmin(broker.connection(), { confirmTimeoutMs: 50 }).replay('q');
    await expect(replay).rejects.toThrow(/stopped after 0 message\(s\).*a was not confirmed within 50 ms.*still in the dead-letter queue/);
    expect(broker.ids('q.dlq')).toEqual(['a']);
    expect(broker.log).not.toContain('ack a');
  });

  it('never loops: a message parked again during the run is left for the next run', async () => {
    const broker = brokerWith(['a', 'b']);
    // The handler fails at once and the copy is parked again before the replay takes the next one.
    broker.afterPublish = (queue, stored) => {
      broker.queues.get(queue)?.pop();
      broker.queues.get('q.dlq')?.push({ id: stored.id, headers: { ...stored.headers, 'x-error-type': 'BoomError' } });
    };
    const result = await new DeadLetterAdmin(broker.connection()).replay('q');
    expect(result.replayed).toBe(2);
    expect(broker.ids('q.dlq')).toEqual(['a', 'b']);
  });

  it('stops at a message this run already replayed, should one come back ahead of the rest', async () => {
    const broker = brokerWith(['a', 'b']);
    broker.afterPublish = (queue, stored) => {
      broker.queues.get(queue)?.pop();
      broker.queues.get('q.dlq')?.unshift({ id: stored.id, headers: stored.headers });
    };
    const result = await new DeadLetterAdmin(broker.connection()).replay('q');
    expect(result).toMatchObject({ replayed: 1, skipped: 1, skippedBecause: expect.stringContaining('a copy this run made was parked again') });
    expect(broker.log.slice(-2)).toEqual(['get a', 'nack a']);
    expect(broker.ids('q.dlq')).toEqual(['a', 'b']);
  });

  it("ignores replay headers a producer wrote: a far-future x-replayed-at or another run's id stops nothing", async () => {
    const broker = new FakeBroker();
    broker.fill('q.dlq', ['a', 'b'], { 'x-replayed-at': '9999-12-31T23:59:59.999Z', 'x-replay-run': 'forged' });
    broker.queues.set('q', []);
    const result = await new DeadLetterAdmin(broker.connection()).replay('q');
    expect(result).toEqual({ queue: 'q', dlq: 'q.dlq', replayed: 2, skipped: 0 });
    expect(broker.ids('q')).toEqual(['a', 'b']);
    const runIds = broker.queues.get('q')!.map((m) => m.headers['x-replay-run']);
    expect(runIds[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(runIds[1]).toBe(runIds[0]);
  });

  it('reports messages counted at the start that were gone when it came to them', async () => {
    const broker = brokerWith(['a', 'b', 'c']);
    // Another consumer takes the rest as soon as the first copy is confirmed.
    broker.afterPublish = () => broker.queues.set('q.dlq', []);
    const result = await new DeadLetterAdmin(broker.connection()).replay('q');
    expect(result).toMatchObject({ replayed: 1, skipped: 2, skippedBecause: expect.stringContaining('no longer ready') });
  });

  it('refuses when the originating queue is gone (publishing would drop every copy)', async () => {
    const broker = new FakeBroker();
    broker.fill('q.dlq', ['a']);
    await expect(new DeadLetterAdmin(broker.connection()).replay('q')).rejects.toBeInstanceOf(OriginatingQueueNotFoundError);
    expect(broker.ids('q.dlq')).toEqual(['a']);
  });

  it('names a missing DLQ', async () => {
    const broker = new FakeBroker();
    await expect(new DeadLetterAdmin(broker.connection()).replay('nope')).rejects.toThrow(new DeadLetterQueueNotFoundError('nope.dlq'));
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects limit %p', async (limit) => {
    await expect(new DeadLetterAdmin(brokerWith([]).connection()).replay('q', { limit })).rejects.toBeInstanceOf(InvalidDeadLetterRequestError);
  });
});

describe('DeadLetterAdmin.peek', () => {
  it('returns up to `limit` messages and closes its channel without acking, so all stay parked in order', async () => {
    const broker = brokerWith(['a', 'b', 'c', 'd']);
    const result = await new DeadLetterAdmin(broker.connection()).peek('q', 2);
    expect(result.depth).toBe(4);
    expect(result.messages.map((m) => m.messageId)).toEqual(['a', 'b']);
    expect(result.messages[0]).toMatchObject({ errorType: 'BoomError', retryCount: 3, body: '{"id":"a"}' });
    expect(broker.log.some((line) => line.startsWith('ack'))).toBe(false);
    expect(broker.ids('q.dlq')).toEqual(['a', 'b', 'c', 'd']);
    expect(broker.closedChannels).toHaveLength(1);
  });

  it('stops at an empty queue', async () => {
    const result = await new DeadLetterAdmin(brokerWith(['a']).connection()).peek('q', 10);
    expect(result.messages).toHaveLength(1);
  });

  it('rejects a limit above the maximum', async () => {
    await expect(new DeadLetterAdmin(brokerWith([]).connection()).peek('q', 1_001)).rejects.toBeInstanceOf(InvalidDeadLetterRequestError);
  });
});

describe('DeadLetterAdmin depth, list, purge', () => {
  it('lists missing DLQs as null instead of failing the whole list', async () => {
    const broker = brokerWith(['a', 'b']);
    expect(await new DeadLetterAdmin(broker.connection()).list(['q', 'gone'])).toEqual([
      { queue: 'q', dlq: 'q.dlq', messages: 2 },
      { queue: 'gone', dlq: 'gone.dlq', messages: null },
    ]);
  });

  it('reports the unrouted queue of an exchange', async () => {
    const broker = new FakeBroker();
    broker.fill('ex.unrouted', ['x']);
    const admin = new DeadLetterAdmin(broker.connection());
    expect(await admin.unrouted('ex')).toEqual({ exchange: 'ex', queue: 'ex.unrouted', messages: 1 });
    expect(await admin.unrouted('other')).toEqual({ exchange: 'other', queue: 'other.unrouted', messages: null });
  });

  it('purges and returns the count; a missing DLQ is named', async () => {
    const broker = brokerWith(['a', 'b']);
    const admin = new DeadLetterAdmin(broker.connection());
    expect(await admin.purge('q')).toEqual({ queue: 'q', dlq: 'q.dlq', messages: 2 });
    expect(broker.ids('q.dlq')).toEqual([]);
    await expect(admin.purge('gone')).rejects.toBeInstanceOf(DeadLetterQueueNotFoundError);
  });
});
