/**
 * An ordered handler whose dead letter the broker will not take (the DLQ at its length bound,
 * reject-publish). Before: the message was requeued, and RabbitMQ 3.10 puts a requeued message at
 * the back of a quorum queue, so the event behind it ran first once the consumer resumed. Now the
 * copy is tried again in place, the message held unacked, and the queue waits for it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Injectable } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { HandleEvent, NonRetryableError } from '../src/rabbitmq/index.js';
import { deadLetterQueueName } from '../src/rabbitmq/admin.js';
import { BrokerProbe } from './support/broker.js';
import { holdsFor } from './support/holds-for.js';
import { type ProbeApp, startProbeApp } from './support/probe-app.js';
import { waitFor } from './support/wait-for.js';

const PATTERN = 'parking.entry';

@Injectable()
class Calls {
  readonly seen: string[] = [];
}

@Controller()
class ParkingHandler {
  constructor(private readonly calls: Calls) {}

  @HandleEvent(PATTERN, { ordered: true })
  onEntry(@Payload() entry: { id: string; bad?: boolean }): void {
    this.calls.seen.push(entry.id);
    if (entry.bad) throw new NonRetryableError(`${entry.id} refused`);
  }
}

describe('an ordered handler whose DLQ is full (shared broker)', () => {
  let app: ProbeApp;
  let broker: BrokerProbe;

  beforeAll(async () => {
    // A DLQ of one message; a short cool-down, so a consumer paused for the full DLQ would resume within the test.
    app = await startProbeApp('ordered-park', [ParkingHandler], { consume: { deadLetterMaxLength: 1, killSwitch: { cooldownMs: 1_000 } } }, [Calls]);
    broker = await BrokerProbe.open();
  });

  afterAll(async () => {
    await broker?.close();
    await app?.dispose();
  });

  it('holds the message it cannot park, and the one behind it waits until the DLQ takes it', async () => {
    const calls = app.app.get(Calls);
    const dlq = deadLetterQueueName(app.server.queues()[0]);
    const bad = ['bad-1', 'bad-2', 'bad-3', 'bad-4'];
    for (const id of [...bad, 'good-5']) {
      broker.publish(app.exchange, PATTERN, JSON.stringify({ id, bad: id.startsWith('bad') }), { contentType: 'application/json', persistent: true });
    }
    // A quorum DLQ refuses once it is over its bound: the bad message handled last is the one held.
    await waitFor('a dead letter refused', async () => {
      const handled = calls.seen.length;
      return handled >= 2 && (await broker.ready(dlq)) === handled - 1;
    });
    // good-5 must not overtake it. Before, it ran once the 1 s cool-down was over, with the refused
    // one requeued behind it.
    await holdsFor('good-5 waiting', () => !calls.seen.includes('good-5'), { durationMs: 2_500, intervalMs: 50 });
    const parked: string[] = [];
    await waitFor(
      'every bad one parked and good-5 handled',
      async () => {
        const message = await broker.take(dlq); // room for the held one
        if (message) parked.push((JSON.parse(message.content.toString()) as { id: string }).id);
        return calls.seen.includes('good-5') && parked.length === bad.length;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    expect(calls.seen).toEqual([...bad, 'good-5']);
    expect(parked).toEqual(bad);
  }, 60_000);
});
