import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Injectable } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { HandleEvent, RabbitContext, Retry } from '../src/rabbitmq/index.js';
import { retryQueueName } from '../src/rabbitmq/admin.js';
import { BrokerProbe } from './support/broker.js';
import { holdsFor } from './support/holds-for.js';
import { type ProbeApp, startProbeApp } from './support/probe-app.js';
import { waitFor } from './support/wait-for.js';

const RETRY_DELAY_MS = 300;

@Injectable()
class Seen {
  readonly deliveries: { body: string; messageId: string; retryCount: number }[] = [];
}

@Controller()
class FailsFirstHandler {
  constructor(private readonly seen: Seen) {}

  @HandleEvent('identity.checked')
  @Retry({ attempts: 2, delaysMs: [RETRY_DELAY_MS] })
  onChecked(@Payload() data: { n: number }, @Ctx() context: RabbitContext): void {
    const earlier = this.seen.deliveries.filter((d) => d.body === JSON.stringify(data)).length;
    this.seen.deliveries.push({
      body: JSON.stringify(data),
      messageId: context.getMessageId(),
      retryCount: context.getRetryCount(),
    });
    if (earlier === 0) {
      throw new Error('downstream unavailable'); // retryable: goes through the delay queue
    }
  }
}

/**
 * A producer that sets no message_id (many plain AMQP clients) still gives handlers an id to
 * de-duplicate on: derived on first sight and stamped on the retry copy.
 */
describe('stable message identity (real broker, retry via the delay queue)', () => {
  let probe: ProbeApp;
  let broker: BrokerProbe;

  beforeAll(async () => {
    probe = await startProbeApp('identity', [FailsFirstHandler], {}, [Seen]);
    broker = await BrokerProbe.open();
  });

  afterAll(async () => {
    const queue = probe?.server.queues()[0];
    await probe?.dispose();
    if (queue) {
      await broker?.remove({ queues: [retryQueueName(queue, RETRY_DELAY_MS)] });
    }
    await broker?.close();
  });

  it('getMessageId() is the same on the first delivery and on the retry of a message without message_id', async () => {
    const timestamp = Math.floor(Date.now() / 1000);
    broker.publish(probe.exchange, 'identity.checked', JSON.stringify({ n: 1 }), { timestamp });
    broker.publish(probe.exchange, 'identity.checked', JSON.stringify({ n: 2 }), { timestamp });
    const seen = probe.app.get(Seen);
    await waitFor('two deliveries of each message', () => seen.deliveries.length >= 4, { timeoutMs: 20_000 });

    const of = (n: number) => seen.deliveries.filter((d) => d.body === JSON.stringify({ n }));
    for (const n of [1, 2]) {
      const [first, retry] = of(n);
      expect(first.retryCount).toBe(0);
      expect(retry.retryCount).toBe(1);
      expect(first.messageId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(retry.messageId).toBe(first.messageId);
    }
    // Different events never share an id.
    expect(of(1)[0].messageId).not.toBe(of(2)[0].messageId);
    await holdsFor('no further delivery', () => seen.deliveries.length === 4, { durationMs: 1_000 });
  });

  it("keeps the producer's own message_id over a retry", async () => {
    broker.publish(probe.exchange, 'identity.checked', JSON.stringify({ n: 3 }), { messageId: 'producer-id-3' });
    const seen = probe.app.get(Seen);
    const retried = await waitFor('the retry of n=3', () => seen.deliveries.find((d) => d.body === '{"n":3}' && d.retryCount === 1), {
      timeoutMs: 20_000,
    });
    expect(retried.messageId).toBe('producer-id-3');
    expect(seen.deliveries.find((d) => d.body === '{"n":3}' && d.retryCount === 0)!.messageId).toBe('producer-id-3');
  });
});
