import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Injectable } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { HandleEvent, NonRetryableError, RabbitContext, Retry } from '../src/rabbitmq/index.js';
import { DeadLetterAdmin, deadLetterQueueName } from '../src/rabbitmq/admin.js';
import { partitionOf } from '../src/rabbitmq/server/partition-key.js';
import { partitionQueueName } from '../src/rabbitmq/topology/topology-names.js';
import amqp from 'amqplib';
import { BrokerProbe, SHARED_AMQP_URL } from './support/broker.js';
import { removeTopology } from './support/demo-app.js';
import { type ProbeApp, startProbeApp } from './support/probe-app.js';
import { queueArgumentsOnBroker } from './support/queue-arguments.js';
import { waitFor } from './support/wait-for.js';

interface Entry {
  key: string;
  seq: number;
}

const PARTITIONS = 4;

/** Every completed handling, in the order it completed, across every app of this file (they share the process). */
@Injectable()
class Journal {
  readonly applied: Entry[] = [];
  /** Keys whose handler waits for `release` (the key that holds its partition). */
  readonly gated = new Set<string>();
  gateHeld = 0;
  private releaseGate!: () => void;
  private readonly opened = new Promise<void>((resolve) => (this.releaseGate = resolve));
  /** Message ids that failed once already (each fails at most once: a flaky dependency). */
  readonly failedOnce = new Set<string>();
  failureRate = 0;
  /** The queue each key was last handled from (its partition). */
  readonly handledFrom = new Map<string, string>();
  /** Keys whose events are refused for good (NonRetryableError) until cleared. */
  readonly poisoned = new Set<string>();

  open(): void {
    this.releaseGate();
  }

  async gate(key: string): Promise<void> {
    if (!this.gated.has(key)) return;
    this.gateHeld += 1;
    await this.opened;
  }
}

@Controller()
class KeyedHandler {
  constructor(private readonly journal: Journal) {}

  @HandleEvent('keyed.entry', { ordered: { by: (entry: Entry) => entry.key, partitions: PARTITIONS }, timeoutMs: 60_000 })
  @Retry({ attempts: 3, delaysMs: [50, 100, 150] })
  async onEntry(@Payload() entry: Entry, @Ctx() context: RabbitContext): Promise<void> {
    await this.journal.gate(entry.key);
    if (this.journal.poisoned.has(entry.key)) throw new NonRetryableError(`${entry.key} refused`);
    const id = context.getMessageId();
    if (!this.journal.failedOnce.has(id) && Math.random() < this.journal.failureRate) {
      this.journal.failedOnce.add(id);
      throw new Error(`store briefly unavailable for ${entry.key}/${entry.seq}`);
    }
    this.journal.applied.push(entry);
    this.journal.handledFrom.set(entry.key, context.getQueue());
  }
}

/** Per key, the seqs in the order they were applied. */
function perKey(entries: readonly Entry[]): Map<string, number[]> {
  const keys = new Map<string, number[]>();
  for (const { key, seq } of entries) keys.set(key, [...(keys.get(key) ?? []), seq]);
  return keys;
}

/** Keys whose applied seqs ever go down: a later event of the key ran before an earlier one. (A repeat is a redelivery, allowed.) */
function outOfOrder(entries: readonly Entry[]): string[] {
  return [...perKey(entries)].filter(([, seqs]) => seqs.some((seq, i) => i > 0 && seq < seqs[i - 1])).map(([key]) => key);
}

function publishEntries(broker: BrokerProbe, exchange: string, keys: string[], perKeyCount: number, firstSeq = 1): void {
  for (let seq = firstSeq; seq < firstSeq + perKeyCount; seq++) {
    for (const key of keys) {
      broker.publish(exchange, 'keyed.entry', JSON.stringify({ key, seq }), { contentType: 'application/json', messageId: `${key}-${seq}` });
    }
  }
}

describe('handlers ordered by key on the real broker', () => {
  let probe: ProbeApp;
  let broker: BrokerProbe;
  let journal: Journal;
  const queue = (): string => `${probe.serviceName}.keyed.entry`;

  beforeAll(async () => {
    probe = await startProbeApp('by-key', [KeyedHandler], { consume: { killSwitch: { enabled: false } } }, [Journal]);
    journal = probe.app.get(Journal);
    broker = await BrokerProbe.open();
  });

  afterAll(async () => {
    journal?.open();
    await broker?.close();
    await probe?.dispose();
  });

  it('declares the handler queue and one single-active-consumer queue per partition, consumed one at a time', async () => {
    expect(await queueArgumentsOnBroker(queue())).toMatchObject({ 'x-single-active-consumer': true });
    for (let index = 0; index < PARTITIONS; index++) {
      expect(await queueArgumentsOnBroker(partitionQueueName(queue(), index))).toMatchObject({
        'x-single-active-consumer': true,
        'x-dead-letter-routing-key': deadLetterQueueName(queue()),
      });
    }
    const partitions = probe.server.consumerStatus().filter((status) => status.queue.startsWith(`${queue()}.p`));
    expect(partitions.map((status) => status.prefetch)).toEqual(Array(PARTITIONS).fill(1));
  });

  it('keeps per-key order under random failures (retried in place), and a failing key holds only its own partition', async () => {
    journal.applied.length = 0;
    journal.failureRate = 0.2;
    const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
    // One key held in its handler: its partition waits; the keys of the other partitions go on.
    const held = keys[0];
    const heldPartition = partitionOf(held, PARTITIONS);
    const elsewhere = keys.filter((key) => partitionOf(key, PARTITIONS) !== heldPartition);
    expect(elsewhere.length).toBeGreaterThan(0);
    journal.gated.add(held);
    publishEntries(broker, probe.exchange, keys, 20);

    await waitFor('every key of the other partitions applied', () => elsewhere.every((key) => perKey(journal.applied).get(key)?.length === 20), {
      timeoutMs: 30_000,
    });
    expect(journal.gateHeld).toBe(1); // the held key's first event, still in its handler
    expect(perKey(journal.applied).get(held)).toBeUndefined();

    journal.open();
    await waitFor('every event applied', () => keys.every((key) => (perKey(journal.applied).get(key)?.length ?? 0) >= 20), { timeoutMs: 30_000 });
    expect(outOfOrder(journal.applied)).toEqual([]);
    expect(journal.failedOnce.size).toBeGreaterThan(0);
    for (const key of keys) expect([...new Set(perKey(journal.applied).get(key))]).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(await broker.ready(deadLetterQueueName(queue()))).toBe(0);
  }, 90_000);

  it("sends events without a key to partition 0, where the handler's pipeline decides: handled, or parked with the usual reason", async () => {
    journal.applied.length = 0;
    journal.failureRate = 0;
    broker.publish(probe.exchange, 'keyed.entry', JSON.stringify({ seq: 1 }), { contentType: 'application/json', messageId: 'no-key' });
    broker.publish(probe.exchange, 'keyed.entry', '{"broken"', { contentType: 'application/json', messageId: 'undecodable' });
    publishEntries(broker, probe.exchange, ['after'], 1);
    const parked = await waitFor('the undecodable event parked', () => broker.take(deadLetterQueueName(queue())), { timeoutMs: 15_000 });
    expect(parked.properties.messageId).toBe('undecodable');
    expect(parked.properties.headers).toMatchObject({ 'x-error-type': 'DecodeError', 'x-original-routing-key': 'keyed.entry', 'x-retry-count': 0 });
    await waitFor('the keyless and the next event applied', () => journal.applied.length === 2, { timeoutMs: 15_000 });
    expect(journal.applied).toEqual(expect.arrayContaining([{ seq: 1 }, { key: 'after', seq: 1 }]));
  }, 30_000);

  it("parks a refused event in the handler's DLQ; a replay goes back through the router to its key's partition", async () => {
    journal.applied.length = 0;
    journal.poisoned.add('refused');
    publishEntries(broker, probe.exchange, ['refused'], 1);
    await waitFor('the refused event parked', async () => (await broker.ready(deadLetterQueueName(queue()))) === 1, { timeoutMs: 15_000 });
    journal.poisoned.clear();
    const connection = await amqp.connect(SHARED_AMQP_URL);
    try {
      const result = await new DeadLetterAdmin(connection).replay(deadLetterQueueName(queue()));
      expect(result).toMatchObject({ queue: queue(), replayed: 1, skipped: 0 });
    } finally {
      await connection.close();
    }
    await waitFor('the replayed event applied', () => journal.applied.some((entry) => entry.key === 'refused'), { timeoutMs: 15_000 });
    expect(journal.handledFrom.get('refused')).toBe(partitionQueueName(queue(), partitionOf('refused', PARTITIONS)));
  }, 30_000);
});

const SHARED_QUEUE = `t-by-key-shared-${randomUUID().slice(0, 8)}`;

@Controller()
class SharedKeyedHandler {
  constructor(private readonly journal: Journal) {}

  @HandleEvent('shared-keyed.entry', { ordered: { by: (entry: Entry) => entry.key, partitions: 8 }, queue: SHARED_QUEUE })
  @Retry({ attempts: 3, delaysMs: [20, 40, 80] })
  async onEntry(@Payload() entry: Entry, @Ctx() context: RabbitContext): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 1));
    const id = context.getMessageId();
    if (!this.journal.failedOnce.has(id) && Math.random() < this.journal.failureRate) {
      this.journal.failedOnce.add(id);
      throw new Error('flaky');
    }
    SHARED_LOG.push({ ...entry, replica: this.journal });
  }
}

/** Both replicas' handlings in completion order (they run in this one process). */
const SHARED_LOG: (Entry & { replica: Journal })[] = [];

describe('handlers ordered by key across two replicas', () => {
  it('spreads the partitions over both replicas and keeps per-key order across one stopping: 10,000 events, 100 keys, random failures', async () => {
    const first = await startProbeApp('by-key-a', [SharedKeyedHandler], { consume: { killSwitch: { enabled: false } } }, [Journal]);
    const second = await startProbeApp('by-key-b', [SharedKeyedHandler], { consume: { killSwitch: { enabled: false } } }, [Journal]);
    const broker = await BrokerProbe.open();
    const a = first.app.get(Journal);
    const b = second.app.get(Journal);
    a.failureRate = b.failureRate = 0.02;
    const keys = Array.from({ length: 100 }, (_, i) => `order-${i}`);
    const publish = (fromSeq: number, count: number): void => {
      for (let seq = fromSeq; seq < fromSeq + count; seq++) {
        for (const key of keys) {
          broker.publish(first.exchange, 'shared-keyed.entry', JSON.stringify({ key, seq }), {
            contentType: 'application/json',
            messageId: `${key}-${seq}`,
          });
        }
      }
    };
    const appliedCount = (): number => new Set(SHARED_LOG.map((entry) => `${entry.key}-${entry.seq}`)).size;
    try {
      publish(1, 40);
      // The second replica gets partitions handed over while events flow.
      await waitFor('both replicas handling', () => SHARED_LOG.some((e) => e.replica === a) && SHARED_LOG.some((e) => e.replica === b), {
        timeoutMs: 30_000,
      });
      publish(41, 40);
      // Rebalanced: each replica is the active consumer of its fair share, ceil(8 / 2) = 4 partitions.
      const held = (replica: ProbeApp): number => replica.server.consumerStatus().filter((s) => s.queue.includes('.p') && s.holding).length;
      await waitFor('4 partitions held by each replica', () => held(first) === 4 && held(second) === 4, { timeoutMs: 30_000 });
      await waitFor('half applied', () => appliedCount() >= 5_000, { timeoutMs: 30_000 });
      const stopping = SHARED_LOG.at(-1)!.replica === a ? first : second;
      const staying = stopping === first ? second : first;
      await stopping.app.close();
      publish(81, 20);
      await waitFor('all 10,000 applied', () => appliedCount() === 10_000, { timeoutMs: 60_000 });
      expect(outOfOrder(SHARED_LOG)).toEqual([]);
      expect(SHARED_LOG.filter((e) => e.replica === staying.app.get(Journal)).length).toBeGreaterThan(0);
      expect(a.failedOnce.size + b.failedOnce.size).toBeGreaterThan(0);
    } finally {
      await broker.close();
      await first.app.close().catch(() => undefined);
      await second.app.close().catch(() => undefined);
      await removeTopology(first.exchange, first.server.declaredQueues());
      await removeTopology(second.exchange, []);
    }
  }, 120_000);
});
