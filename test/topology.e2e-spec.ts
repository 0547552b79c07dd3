import { afterAll, describe, expect, it } from '@jest/globals';
import { Controller, Injectable } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import { NonRetryableError, HandleEvent, RabbitClient, type RabbitMQModuleOptions } from '../src/rabbitmq/index.js';
import { deadLetterQueueName, RabbitMetrics, unroutedExchangeName, unroutedQueueName } from '../src/rabbitmq/admin.js';
import { BrokerProbe, uniqueNames } from './support/broker.js';
import { removeTopology, serviceQueues } from './support/demo-app.js';
import { freePort } from './support/free-port.js';
import { type ProbeApp, startProbeApp } from './support/probe-app.js';
import { ServiceProcess } from './support/service-process.js';
import { waitFor } from './support/wait-for.js';

/** Handler queues of the demo service (`<SERVICE_NAME>.<handler>`), for clean-up. */

@Injectable()
class Seen {
  readonly ids: string[] = [];
}

@Controller()
class ShareHandlers {
  constructor(private readonly seen: Seen) {}

  @HandleEvent('share.created')
  onCreated(@Payload() event: { id: string }): void {
    this.seen.ids.push(event.id);
  }
}

/** Publishes as a plain producer would: declare the exchange its usual way, publish JSON with a routing key. */
async function plainProducer(probe: BrokerProbe, exchange: string, id: string): Promise<void> {
  await probe.channel.assertExchange(exchange, 'topic', { durable: true });
  probe.publish(exchange, 'share.created', JSON.stringify({ id }), { persistent: true, contentType: 'application/json' });
}

describe('topology any producer can share', () => {
  const apps: ProbeApp[] = [];
  let probe: BrokerProbe;

  afterAll(async () => {
    for (const app of apps) await app.dispose().catch(() => undefined);
    await probe?.close();
  });

  async function start(exchange: string, options: Partial<RabbitMQModuleOptions> = {}): Promise<ProbeApp> {
    const app = await startProbeApp('share', [ShareHandlers], { exchange, ...options, consume: { queueType: 'classic' } }, [Seen]);
    apps.push(app);
    return app;
  }

  it('works with an exchange a plain producer declared first, and a producer declaring it after warren gets no 406', async () => {
    probe = await BrokerProbe.open();
    const { exchange } = uniqueNames('share');
    await plainProducer(probe, exchange, 'before'); // declared before warren; this event has no queue yet
    const app = await start(exchange);
    const seen = app.app.get(Seen);
    // A second producer, connecting after warren, declares the exchange its usual way: no 406, channel alive.
    const late = await BrokerProbe.open();
    try {
      await plainProducer(late, exchange, 'after');
      await waitFor('the late producer event at the handler', () => seen.ids.includes('after'), { timeoutMs: 15_000 });
      await late.channel.checkExchange(exchange); // the producer's channel is still open
    } finally {
      await late.close();
    }
    await plainProducer(probe, exchange, 'again');
    await waitFor('the first producer event at the handler', () => seen.ids.includes('again'), { timeoutMs: 15_000 });
    expect(seen.ids.filter((id) => id === 'after')).toHaveLength(1);
  });

  it('keeps working with an exchange of an older warren that has the alternate-exchange argument', async () => {
    const { exchange } = uniqueNames('legacy');
    const setup = await BrokerProbe.open();
    try {
      await setup.channel.assertExchange(unroutedExchangeName(exchange), 'fanout', { durable: true });
      await setup.channel.assertQueue(unroutedQueueName(exchange), { durable: true, arguments: { 'x-queue-type': 'classic' } });
      await setup.channel.bindQueue(unroutedQueueName(exchange), unroutedExchangeName(exchange), '');
      await setup.channel.assertExchange(exchange, 'topic', { durable: true, alternateExchange: unroutedExchangeName(exchange) });
    } finally {
      await setup.close();
    }
    const app = await start(exchange);
    const id = randomUUID();
    await app.app.get(RabbitClient).publish('share.created', { id });
    await waitFor('the event at the handler', () => app.app.get(Seen).ids.includes(id), { timeoutMs: 15_000 });
    // The old alternate exchange still parks what nobody is bound for.
    await app.app.get(RabbitClient).publish('nobody.binds.this', { id: 'lost?' });
    const parked = await waitFor('the unroutable event in the unrouted queue', () => probe.take(unroutedQueueName(exchange)));
    expect(JSON.parse(parked.content.toString())).toEqual({ id: 'lost?' });
  });

  it('counts an unroutable publish, keeps one copy, and still confirms it', async () => {
    const { exchange } = uniqueNames('unrouted');
    const app = await start(exchange);
    const client = app.app.get(RabbitClient);
    const receipt = await client.publish('nobody.listens.here', { id: 'u1' });
    const parked = await waitFor('the copy in the unrouted queue', () => probe.take(unroutedQueueName(exchange)));
    expect(parked.properties.messageId).toBe(receipt.messageId);
    expect(parked.properties.headers).toMatchObject({ 'x-original-routing-key': 'nobody.listens.here' });
    const metrics = await app.app.get(RabbitMetrics).registry.metrics();
    expect(metrics).toMatch(/warren_publishes_unrouted_total\{routing_key="nobody.listens.here"\} 1/);
    expect(await probe.ready(unroutedQueueName(exchange))).toBe(0); // exactly one copy was kept
  });
});

@Controller()
class PoisonHandlers {
  @HandleEvent('poison.created')
  onPoison(): void {
    throw new NonRetryableError('always wrong');
  }
}

describe('bounded leftovers', () => {
  const apps: ProbeApp[] = [];
  let probe: BrokerProbe;

  afterAll(async () => {
    for (const app of apps) await app.dispose().catch(() => undefined);
    await probe?.close();
  });

  it('a full DLQ refuses the dead letter: the message stays in its queue, the consumer pauses, nothing is lost; depths are metrics', async () => {
    probe = await BrokerProbe.open();
    const app = await startProbeApp('bound', [PoisonHandlers], {
      consume: { queueType: 'quorum', deadLetterMaxLength: 2, retry: { attempts: 0, delaysMs: [] }, killSwitch: { cooldownMs: 60_000 } },
    });
    apps.push(app);
    const queue = app.server.queues()[0];
    const dlq = deadLetterQueueName(queue);
    const client = app.app.get(RabbitClient);
    // Quorum queues apply x-max-length approximately: dead letters already in flight when the DLQ fills still
    // land (under a loaded run, 5 of 5 did). Twenty are far more than can slip past a bound of 2.
    const published = 20;
    for (let i = 0; i < published; i++) await client.publish('poison.created', { i });
    await waitFor('the consumer paused for the full DLQ', () => app.server.consumerStatus()[0].pausedFor.includes('dead-letter-queue-full'), {
      timeoutMs: 20_000,
    });
    // Nothing dropped: what the DLQ refused is back in the handler queue (none in flight once paused).
    const counts = async () => ({ parked: await probe.ready(dlq), queued: await probe.ready(queue) });
    await waitFor(
      `all ${published} either parked or queued`,
      async () => {
        const { parked, queued } = await counts();
        return parked + queued === published && app.server.consumerStatus()[0].inFlight === 0;
      },
      { timeoutMs: 20_000 },
    );
    const { parked } = await counts();
    expect(parked).toBeGreaterThanOrEqual(1);
    // The bound held: quorum queues apply x-max-length approximately (publishes already in
    // flight when it fills may still land), but the DLQ refused what came after.
    expect(parked).toBeLessThan(published);
    const metrics = await app.app.get(RabbitMetrics).registry.metrics();
    expect(metrics).toContain(`warren_leftover_queue_depth{queue="${dlq}",kind="dead_letter"} ${parked}`);
    expect(metrics).toMatch(
      new RegExp(`warren_leftover_queue_depth\\{queue="${unroutedQueueName(app.exchange).replace(/\./g, '\\.')}",kind="unrouted"\\} 0`),
    );
  }, 60_000);

  it('an unbounded DLQ of an earlier version is used as it is (no 406) and still receives dead letters', async () => {
    const names = uniqueNames('upgrade');
    const queue = `${names.serviceName}.poison.poison`;
    const setup = await BrokerProbe.open();
    try {
      await setup.channel.assertQueue(deadLetterQueueName(queue), { durable: true, arguments: { 'x-queue-type': 'classic' } });
    } finally {
      await setup.close();
    }
    const app = await startProbeApp('upgrade', [PoisonHandlers], {
      ...names,
      consume: { queueType: 'classic', retry: { attempts: 0, delaysMs: [] } },
    });
    apps.push(app);
    expect(app.server.queues()).toEqual([queue]);
    await app.app.get(RabbitClient).publish('poison.created', { i: 1 });
    await waitFor('the dead letter in the old DLQ', async () => (await probe.ready(deadLetterQueueName(queue))) === 1, { timeoutMs: 20_000 });
  }, 60_000);
});

describe('bounds changed later', () => {
  it('a DLQ made under another bound, and deadLetterMaxLength 0 against a bounded DLQ, are used as they are', async () => {
    const probe = await BrokerProbe.open();
    const apps: ProbeApp[] = [];
    try {
      for (const [existing, wanted] of [
        [{ 'x-max-length': 5, 'x-overflow': 'reject-publish' }, 100_000],
        [{ 'x-max-length': 5, 'x-overflow': 'reject-publish' }, 0],
      ] as const) {
        const names = uniqueNames('rebound');
        const queue = `${names.serviceName}.poison.poison`;
        await probe.channel.assertQueue(deadLetterQueueName(queue), { durable: true, arguments: { 'x-queue-type': 'classic', ...existing } });
        const app = await startProbeApp('rebound', [PoisonHandlers], {
          ...names,
          consume: { queueType: 'classic', deadLetterMaxLength: wanted, retry: { attempts: 0, delaysMs: [] } },
        });
        apps.push(app);
        await app.app.get(RabbitClient).publish('poison.created', { i: 1 });
        await waitFor('the dead letter in the existing DLQ', async () => (await probe.ready(deadLetterQueueName(queue))) === 1, {
          timeoutMs: 20_000,
        });
      }
    } finally {
      for (const app of apps) await app.dispose().catch(() => undefined);
      await probe.close();
    }
  }, 60_000);
});

describe('a topology conflict is one clear error, not a reconnect storm', () => {
  let service: ServiceProcess | undefined;
  const names = uniqueNames('conflict');

  afterAll(async () => {
    await service?.stop();
    await removeTopology(names.exchange, await serviceQueues(names));
  });

  it('keeps readiness down with the reason, logs one line per attempt, backs off to RECONNECT_MAX_MS and answers 503 naming it', async () => {
    const setup = await BrokerProbe.open();
    try {
      // Another team made the exchange first, as a direct exchange.
      await setup.channel.assertExchange(names.exchange, 'direct', { durable: true });
    } finally {
      await setup.close();
    }
    const port = await freePort();
    service = await ServiceProcess.startListening({
      PORT: port,
      SERVICE_NAME: names.serviceName,
      EVENTS_EXCHANGE: names.exchange,
      QUEUE_TYPE: 'classic',
      RECONNECT_BASE_MS: '50',
      RECONNECT_MAX_MS: '800',
      LOG_FORMAT: 'json',
    });
    const ready = await waitFor(
      'readiness down with the conflict',
      async () => {
        const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
        const body = (await response.json()) as { details?: { rabbitmq?: { reasons?: string[] } } };
        const reasons = body.details?.rabbitmq?.reasons ?? [];
        return response.status === 503 && reasons.some((r) => r.includes(`topology conflict on exchange '${names.exchange}'`)) ? reasons : undefined;
      },
      { timeoutMs: 20_000 },
    );
    expect(ready.join(' ')).toContain("argument 'type'");
    // POST /users publishes directly (POST /orders goes through the outbox and is accepted while the broker cannot take it).
    const post = await fetch(`http://127.0.0.1:${port}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'topology@example.com', name: 'Topo' }),
    });
    expect(post.status).toBe(503);
    const text = await post.text();
    expect(text).toContain(`topology conflict on exchange '${names.exchange}'`);
    expect(text).not.toContain('unreachable');
    // Let it retry a while, then count.
    const atCeiling = (role: string) =>
      service!.linesWith(`${names.serviceName}-${role}: topology conflict`).filter((line) => line.includes('backoff up to 800 ms'));
    await waitFor(
      'both connections retrying with the backoff at its ceiling',
      () => atCeiling('publisher').length >= 1 && atCeiling('consumer').length >= 1,
      {
        timeoutMs: 30_000,
      },
    );
    const conflictLines = service.linesWith('"context":"RabbitConnections"').filter((line) => line.includes('topology conflict'));
    // One line per attempt: each names the argument and the fix.
    expect(conflictLines.every((line) => line.includes("'type'") && line.includes('Fix:'))).toBe(true);
    // Every other line of an attempt is gone: no 'connected', 'disconnected' or channel-failed noise per attempt.
    expect(service.linesWith('channel of').length + service.linesWith('publish channel failed').length).toBe(0);
    expect(service.linesWith('disconnected:').length).toBe(0);
    // The backoff grows and never starts over on a TCP connect (the storm: every attempt at the
    // 50 ms base): per connection, each attempt's ceiling is at least the previous one's, up to the max.
    for (const role of ['publisher', 'consumer']) {
      const ceilings = conflictLines
        .filter((line) => line.includes(`${names.serviceName}-${role}:`))
        .map((line) => Number(/backoff up to (\d+) ms/.exec(line)?.[1]));
      expect(ceilings.length).toBeGreaterThanOrEqual(3);
      expect(ceilings.every((ceiling, i) => i === 0 || ceiling >= ceilings[i - 1])).toBe(true);
      expect(ceilings.at(-1)).toBe(800);
    }

    // The operator deletes the conflicting exchange: the next attempt declares it, and all is well.
    const fix = await BrokerProbe.open();
    try {
      await fix.channel.deleteExchange(names.exchange);
    } finally {
      await fix.close();
    }
    await waitFor('ready after the fix', () => service!.isReady(port), { timeoutMs: 20_000 });
    const accepted = await fetch(`http://127.0.0.1:${port}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ customerId: 'c-1', items: [{ sku: 'sku-1', quantity: 1 }] }),
    });
    expect(accepted.status).toBe(202);
  }, 90_000);

  it('names a handler queue that exists with another queue type, and keeps readiness down', async () => {
    const queueNames = uniqueNames('qconflict');
    const queue = `${queueNames.serviceName}.inventory.order-created`;
    const setup = await BrokerProbe.open();
    try {
      await setup.channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'classic' } });
    } finally {
      await setup.close();
    }
    const port = await freePort();
    const other = await ServiceProcess.startListening({
      PORT: port,
      SERVICE_NAME: queueNames.serviceName,
      EVENTS_EXCHANGE: queueNames.exchange,
      QUEUE_TYPE: 'quorum',
      RECONNECT_BASE_MS: '50',
      RECONNECT_MAX_MS: '800',
      LOG_FORMAT: 'json',
    });
    try {
      const reasons = await waitFor(
        'readiness down naming the queue',
        async () => {
          const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
          const body = (await response.json()) as { details?: { rabbitmq?: { reasons?: string[] } } };
          const found = (body.details?.rabbitmq?.reasons ?? []).find((r) => r.includes(`topology conflict on queue '${queue}'`));
          return response.status === 503 ? found : undefined;
        },
        { timeoutMs: 20_000 },
      );
      // The broker names the first argument it finds different (here x-dead-letter-exchange).
      expect(reasons).toMatch(/its argument '[a-z-]+' is .+ on the broker but warren declares /);
      expect(reasons).toContain(`rabbitmqctl delete_queue ${queue}`);
      // Publishing does not depend on that queue: accepted (once the publisher's own connection is up, which is not
      // what readiness waited for here).
      await waitFor('a POST /users accepted despite the queue conflict', async () => {
        const post = await fetch(`http://127.0.0.1:${port}/users`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'q@example.com', name: 'Q' }),
        });
        return post.status === 202;
      });
    } finally {
      await other.stop();
      await removeTopology(queueNames.exchange, await serviceQueues(queueNames));
    }
  }, 60_000);
});
