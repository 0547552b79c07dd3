import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PublishRejectedError } from '../src/rabbitmq/index.js';
import { RabbitMetrics } from '../src/rabbitmq/admin.js';
import { connectionName } from '../src/rabbitmq/topology/topology-names.js';
import { RabbitPublisher } from '../src/rabbitmq/publisher/rabbit-publisher.js';
import { PUBLISH_CHANNEL_RENEW_INTERVAL_MS } from '../src/rabbitmq/rabbitmq.constants.js';
import { BrokerProbe, channelCount } from './support/broker.js';
import { type ProbeApp, startProbeApp } from './support/probe-app.js';
import { waitFor } from './support/wait-for.js';

/**
 * After a nack the publisher moves to a fresh confirm channel (a quorum queue leader change can
 * leave a channel nacking every publish: see PUBLISH_CHANNEL_RENEW_INTERVAL_MS; the 3-node
 * failover itself is test/faults/cluster.e2e-spec.ts). Nacks are made here the ordinary way: a queue at
 * its length limit with `reject-publish` overflow, fed through the default exchange.
 */
describe('publisher: a nacked publish moves publishing to a fresh channel', () => {
  let probeApp: ProbeApp;
  let broker: BrokerProbe;
  let publisher: RabbitPublisher;
  let full: string;
  const renewals = async () => (await probeApp.app.get(RabbitMetrics).publishChannelRenewals.get()).values[0]?.value ?? 0;
  const publishTo = (queue: string, n: number) => publisher.publishRaw('', queue, Buffer.from(`m${n}`), { persistent: true, messageId: `m${n}` });

  beforeAll(async () => {
    probeApp = await startProbeApp('renew', [], { consume: { queueType: 'classic' } });
    publisher = probeApp.app.get(RabbitPublisher);
    broker = await BrokerProbe.open();
    full = `${probeApp.serviceName}.full`;
    await broker.channel.assertQueue(full, { durable: true, arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish' } });
  });

  afterAll(async () => {
    await broker?.remove({ queues: [full] });
    await broker?.close();
    await probeApp?.dispose();
  });

  it('renews once per burst of nacks, at most once per interval, closes the old channel, and confirms on the new one', async () => {
    await publishTo(full, 0); // the queue is now full
    expect(await renewals()).toBe(0);

    // A burst on one channel: every publish is refused, the channel is replaced once.
    const burstAt = performance.now();
    const burst = await Promise.allSettled([1, 2, 3, 4, 5].map((n) => publishTo(full, n)));
    for (const outcome of burst) {
      expect(outcome.status).toBe('rejected');
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(PublishRejectedError);
      expect(((outcome as PromiseRejectedResult).reason as Error).message).toMatch(/nacked/);
    }
    expect(await renewals()).toBe(1);

    // Nacks on the new channel: those within the interval after the renewal (it happened after
    // burstAt) keep the channel; once the interval is over, the next nack replaces it again.
    const keptWithinInterval: number[] = [];
    let n = 100;
    await waitFor(
      'a second renewal',
      async () => {
        const outcome = await publishTo(full, n++).then(
          () => 'confirmed',
          (error: unknown) => (error instanceof PublishRejectedError ? 'nacked' : String(error)),
        );
        const count = await renewals();
        const sinceBurst = performance.now() - burstAt;
        if (outcome === 'nacked' && count === 1 && sinceBurst < PUBLISH_CHANNEL_RENEW_INTERVAL_MS) {
          keptWithinInterval.push(Math.round(sinceBurst));
        }
        return outcome === 'nacked' && count === 2;
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    expect(keptWithinInterval.length).toBeGreaterThan(0);

    // Room again: the next publish is confirmed on a fresh channel, and the replaced ones are
    // closed (their confirms were all in), so the publisher connection holds one publish channel,
    // beside the request/reply 'replies' channel it always has.
    expect(await broker.take(full)).toBeDefined();
    await publishTo(full, 200);
    expect(await broker.ready(full)).toBe(1);
    expect(await renewals()).toBe(2);
    await waitFor('the replaced channels to be closed', async () => (await channelCount(connectionName(probeApp.serviceName, 'publisher'))) === 2);
  });
});
