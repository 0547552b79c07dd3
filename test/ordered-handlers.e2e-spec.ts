import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Injectable } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { HandleEvent, RabbitContext, Retry } from '../src/rabbitmq/index.js';
import { deadLetterQueueName, RabbitMQHealthIndicator, retryQueueName } from '../src/rabbitmq/admin.js';
import { BrokerProbe } from './support/broker.js';
import { holdsFor } from './support/holds-for.js';
import { removeTopology } from './support/demo-app.js';
import { type ProbeApp, startProbeApp } from './support/probe-app.js';
import { queueArgumentsOnBroker } from './support/queue-arguments.js';
import { RecordingLogger } from './support/recording-logger.js';
import { waitFor } from './support/wait-for.js';

const DELAYS = [200, 300];
const POISON = 10;
const FLAKY = 5;
const COUNT = 20;

@Injectable()
class Ledger {
  /** Every handler invocation, in order: the seq and the retry count it saw. */
  readonly invocations: { seq: number; retry: number }[] = [];
  readonly applied: number[] = [];
  running = 0;
  mostRunning = 0;
  flakyFailed = false;
}

@Controller()
class LedgerHandler {
  constructor(private readonly ledger: Ledger) {}

  @HandleEvent('ledger.entry', { ordered: true })
  @Retry({ attempts: 2, delaysMs: DELAYS })
  async onEntry(@Payload() entry: { seq: number }, @Ctx() context: RabbitContext): Promise<void> {
    const { ledger } = this;
    ledger.invocations.push({ seq: entry.seq, retry: context.getRetryCount() });
    ledger.running += 1;
    ledger.mostRunning = Math.max(ledger.mostRunning, ledger.running);
    try {
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (entry.seq === POISON) {
        throw new Error(`entry ${entry.seq} cannot be applied`);
      }
      if (entry.seq === FLAKY && !ledger.flakyFailed) {
        ledger.flakyFailed = true;
        throw new Error('ledger store briefly unavailable');
      }
      ledger.applied.push(entry.seq);
    } finally {
      ledger.running -= 1;
    }
  }
}

describe('ordered handlers on the real broker', () => {
  let probeApp: ProbeApp;
  let broker: BrokerProbe;
  let ledger: Ledger;
  const logger = new RecordingLogger();
  const queue = () => `${probeApp.serviceName}.ledger.entry`;

  beforeAll(async () => {
    probeApp = await startProbeApp('ordered', [LedgerHandler], { consume: { killSwitch: { enabled: false } } }, [Ledger], (app) =>
      app.useLogger(logger),
    );
    ledger = probeApp.app.get(Ledger);
    broker = await BrokerProbe.open();
  });

  afterAll(async () => {
    await broker?.close();
    if (probeApp) {
      const retryQueues = DELAYS.map((delay) => retryQueueName(queue(), delay));
      await probeApp.dispose();
      const cleanup = await BrokerProbe.open();
      await cleanup.remove({ queues: retryQueues });
      await cleanup.close();
    }
  });

  it('declares the queue single-active-consumer and consumes it one message at a time', async () => {
    expect(await queueArgumentsOnBroker(queue())).toMatchObject({ 'x-single-active-consumer': true });
    expect(probeApp.server.consumerStatus().find((s) => s.queue === queue())).toMatchObject({ prefetch: 1 });
  });

  it('keeps order under failure: a flaky entry retries in place, a poison entry is parked without reordering the rest', async () => {
    for (let seq = 1; seq <= COUNT; seq++) {
      broker.publish(probeApp.exchange, 'ledger.entry', JSON.stringify({ seq }), { contentType: 'application/json', messageId: `e-${seq}` });
    }
    const parked = await waitFor('the poison entry in the DLQ', () => broker.take(deadLetterQueueName(queue())), { timeoutMs: 30_000 });
    await waitFor('every other entry applied', () => ledger.applied.length === COUNT - 1, { timeoutMs: 30_000 });

    const expectedApplied = Array.from({ length: COUNT }, (_, i) => i + 1).filter((seq) => seq !== POISON);
    expect(ledger.applied).toEqual(expectedApplied);
    // Retries happened in place: nothing ran between a failed entry and its retries.
    const expectedInvocations = Array.from({ length: COUNT }, (_, i) => i + 1).flatMap((seq) =>
      seq === FLAKY
        ? [
            { seq, retry: 0 },
            { seq, retry: 1 },
          ]
        : seq === POISON
          ? [
              { seq, retry: 0 },
              { seq, retry: 1 },
              { seq, retry: 2 },
            ]
          : [{ seq, retry: 0 }],
    );
    expect(ledger.invocations).toEqual(expectedInvocations);
    expect(ledger.mostRunning).toBe(1);
    // The in-place retry's warning names the message and its queue, so an operator can find it.
    expect(logger.lines).toContainEqual(
      expect.stringMatching(new RegExp(`^retry 1 of message e-${FLAKY} of ordered ${queue().replace(/\./g, '\\.')} in place`)),
    );

    expect(JSON.parse(parked.content.toString())).toEqual({ seq: POISON });
    expect(parked.properties.messageId).toBe(`e-${POISON}`);
    expect(parked.properties.headers).toMatchObject({
      'x-error-type': 'Error',
      'x-error-message': `entry ${POISON} cannot be applied`,
      'x-retry-count': 2,
      'x-original-routing-key': 'ledger.entry',
    });
    // No copy went through a retry queue (it would have come back behind later entries).
    for (const delay of DELAYS) {
      await expect(broker.ready(retryQueueName(queue(), delay))).rejects.toThrow(/NOT_FOUND|404/);
    }
    expect(await broker.ready(queue())).toBe(0);
    expect(await broker.ready(deadLetterQueueName(queue()))).toBe(0); // exactly one parked copy
  }, 60_000);
});

const SHARED_QUEUE = `t-ordered-shared-${randomUUID().slice(0, 8)}`;

@Injectable()
class Received {
  readonly seqs: number[] = [];
}

@Controller()
class SharedOrderedHandler {
  constructor(private readonly received: Received) {}

  @HandleEvent('shared.entry', { ordered: true, queue: SHARED_QUEUE })
  onEntry(@Payload() entry: { seq: number }): void {
    this.received.seqs.push(entry.seq);
  }
}

const GATED_QUEUE = `t-ordered-gated-${randomUUID().slice(0, 8)}`;

@Injectable()
class Gate {
  held = 0;
  private release!: () => void;
  private readonly opened = new Promise<void>((resolve) => (this.release = resolve));

  async pass(): Promise<void> {
    this.held += 1;
    await this.opened;
  }

  open(): void {
    this.release();
  }
}

@Controller()
class GatedOrderedHandler {
  constructor(private readonly gate: Gate) {}

  @HandleEvent('gated.entry', { ordered: true, queue: GATED_QUEUE, timeoutMs: 60_000 })
  onEntry(): Promise<void> {
    return this.gate.pass();
  }
}

@Injectable()
class Attempts {
  count = 0;
}

@Controller()
class SlowRetryHandler {
  constructor(private readonly attempts: Attempts) {}

  @HandleEvent('slow.entry', { ordered: true })
  @Retry({ attempts: 3, delaysMs: [20_000] })
  onEntry(): void {
    this.attempts.count += 1;
    throw new Error('store down');
  }
}

describe('ordered handlers across replicas and at shutdown', () => {
  it('delivers to one replica only (single active consumer); the standby takes over when it goes', async () => {
    const first = await startProbeApp('sac-a', [SharedOrderedHandler], {}, [Received]);
    const second = await startProbeApp('sac-b', [SharedOrderedHandler], {}, [Received]);
    const broker = await BrokerProbe.open();
    try {
      for (let seq = 1; seq <= 10; seq++) {
        broker.publish(first.exchange, 'shared.entry', JSON.stringify({ seq }), { contentType: 'application/json' });
      }
      const a = first.app.get(Received);
      const b = second.app.get(Received);
      await waitFor('all ten handled', () => a.seqs.length + b.seqs.length === 10, { timeoutMs: 15_000 });
      const [active, standby] = a.seqs.length > 0 ? [first, second] : [second, first];
      expect(active.app.get(Received).seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(standby.app.get(Received).seqs).toEqual([]);

      await active.app.close();
      for (let seq = 11; seq <= 15; seq++) {
        broker.publish(standby.exchange, 'shared.entry', JSON.stringify({ seq }), { contentType: 'application/json' });
      }
      await waitFor('the standby took over', () => standby.app.get(Received).seqs.length === 5, { timeoutMs: 15_000 });
      expect(standby.app.get(Received).seqs).toEqual([11, 12, 13, 14, 15]);
    } finally {
      await broker.close();
      // One is closed already; closing it again is a no-op.
      await first.app.close().catch(() => undefined);
      await second.app.close().catch(() => undefined);
      await removeTopology(first.exchange, [SHARED_QUEUE]);
      await removeTopology(second.exchange, []);
    }
  }, 60_000);

  it('readiness: the active replica holding a message is stuck, the standby with a backlog it cannot get is not', async () => {
    const options = { readiness: { stuckConsumerMs: 1_000 } };
    const first = await startProbeApp('sac-ready-a', [GatedOrderedHandler], options, [Gate]);
    const second = await startProbeApp('sac-ready-b', [GatedOrderedHandler], options, [Gate]);
    const broker = await BrokerProbe.open();
    try {
      for (let seq = 1; seq <= 5; seq++) {
        broker.publish(first.exchange, 'gated.entry', JSON.stringify({ seq }), { contentType: 'application/json' });
      }
      const [active, standby] = await waitFor('one replica holding the first entry', () =>
        first.app.get(Gate).held > 0 ? [first, second] : second.app.get(Gate).held > 0 ? [second, first] : undefined,
      );
      const reasonsOf = async (app: ProbeApp): Promise<string[]> => {
        const result = (await app.app.get(RabbitMQHealthIndicator).isReady()) as unknown as { rabbitmq: { status: string; reasons?: string[] } };
        return result.rabbitmq.reasons ?? [];
      };
      const stuck = await waitFor(
        'the active replica reported stuck',
        async () => (await reasonsOf(active)).find((reason) => reason.includes(`consumer of ${GATED_QUEUE} stuck`)),
        { timeoutMs: 15_000 },
      );
      expect(stuck).toContain('1 in flight');
      expect(await broker.ready(GATED_QUEUE)).toBe(4);
      // Past stuckConsumerMs and the 2 s depth cache, the standby still sees the backlog and stays ready.
      await holdsFor('the standby ready', async () => (await reasonsOf(standby)).length === 0, { durationMs: 4_000, intervalMs: 250 });
      expect(await broker.ready(GATED_QUEUE)).toBe(4);
    } finally {
      first.app.get(Gate).open();
      second.app.get(Gate).open();
      await broker.close();
      await first.app.close().catch(() => undefined);
      await second.app.close().catch(() => undefined);
      await removeTopology(first.exchange, [GATED_QUEUE]);
      await removeTopology(second.exchange, []);
    }
  }, 60_000);

  it('stops at once during an in-place backoff: the message goes back to its queue, not to the DLQ', async () => {
    const app = await startProbeApp('ordered-stop', [SlowRetryHandler], { consume: { killSwitch: { enabled: false }, shutdownGraceMs: 15_000 } }, [
      Attempts,
    ]);
    const queue = `${app.serviceName}.slow-retry.entry`;
    const broker = await BrokerProbe.open();
    try {
      broker.publish(app.exchange, 'slow.entry', JSON.stringify({ seq: 1 }), { contentType: 'application/json' });
      await waitFor('the first attempt', () => app.app.get(Attempts).count === 1, { timeoutMs: 10_000 });
      const closing = Date.now();
      await app.app.close();
      // Well under the 20 s backoff and the 15 s grace: the backoff was cut short.
      expect(Date.now() - closing).toBeLessThan(10_000);
      expect(await broker.ready(queue)).toBe(1);
      expect(await broker.ready(deadLetterQueueName(queue))).toBe(0);
    } finally {
      await broker.close();
      await removeTopology(app.exchange, [queue]);
    }
  }, 60_000);
});

const PAUSED_QUEUE = `t-ordered-paused-${randomUUID().slice(0, 8)}`;

/** Each replica's starts and ends of handling, with the time: a pause must not let the standby start before the end. */
@Injectable()
class Timeline {
  readonly events: { what: 'start' | 'end'; seq: number; at: number }[] = [];
  private release!: () => void;
  readonly opened = new Promise<void>((resolve) => (this.release = resolve));
  open(): void {
    this.release();
  }
}

@Controller()
class PausedOrderedHandler {
  constructor(private readonly timeline: Timeline) {}

  @HandleEvent('paused.entry', { ordered: true, queue: PAUSED_QUEUE, timeoutMs: 60_000 })
  async onEntry(@Payload() entry: { seq: number }): Promise<void> {
    this.timeline.events.push({ what: 'start', seq: entry.seq, at: Date.now() });
    if (entry.seq === 1) await this.timeline.opened;
    this.timeline.events.push({ what: 'end', seq: entry.seq, at: Date.now() });
  }
}

describe('ordered handlers paused while handling', () => {
  it('a pause (memory, event loop, kill switch) waits for the message in hand: the standby starts the next one only after it', async () => {
    const first = await startProbeApp('sac-pause-a', [PausedOrderedHandler], {}, [Timeline]);
    const second = await startProbeApp('sac-pause-b', [PausedOrderedHandler], {}, [Timeline]);
    const broker = await BrokerProbe.open();
    const publish = (seq: number): void =>
      broker.publish(first.exchange, 'paused.entry', JSON.stringify({ seq }), { contentType: 'application/json' });
    try {
      publish(1);
      const [active, standby] = await waitFor('one replica holding the first entry', () =>
        first.app.get(Timeline).events.length > 0 ? [first, second] : second.app.get(Timeline).events.length > 0 ? [second, first] : undefined,
      );
      // As flow control pauses it (the consumer's own pause, what a memory watermark calls).
      const consumer = (
        active.server as unknown as { consumers: { definition: { queue: string }; pause(reason: string): Promise<void> }[] }
      ).consumers.find((candidate) => candidate.definition.queue === PAUSED_QUEUE)!;
      void consumer.pause('memory');
      publish(2);
      await holdsFor('the standby idle while the first entry is in hand', () => standby.app.get(Timeline).events.length === 0, {
        durationMs: 1_500,
        intervalMs: 100,
      });
      active.app.get(Timeline).open();
      await waitFor('the standby handled the second entry', () => standby.app.get(Timeline).events.some((e) => e.what === 'end' && e.seq === 2), {
        timeoutMs: 15_000,
      });
      const firstEnd = active.app.get(Timeline).events.find((e) => e.what === 'end' && e.seq === 1)!;
      const secondStart = standby.app.get(Timeline).events.find((e) => e.what === 'start' && e.seq === 2)!;
      expect(secondStart.at).toBeGreaterThanOrEqual(firstEnd.at);
      expect(active.app.get(Timeline).events.map((e) => e.seq)).toEqual([1, 1]);
    } finally {
      first.app.get(Timeline).open();
      second.app.get(Timeline).open();
      await broker.close();
      await first.app.close().catch(() => undefined);
      await second.app.close().catch(() => undefined);
      await removeTopology(first.exchange, [PAUSED_QUEUE]);
      await removeTopology(second.exchange, []);
    }
  }, 60_000);
});
