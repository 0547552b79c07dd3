import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Ctx, Payload } from '@nestjs/microservices';
import type { MessageProperties } from 'amqplib';
import { HandleEvent, PublishRejectedError, RabbitClient, RabbitContext, RabbitMQModule, Retry } from '../src/rabbitmq/index.js';
import { deadLetterQueueName, RabbitConnections, RabbitServer, retryQueueName } from '../src/rabbitmq/admin.js';
import { BrokerProbe, SHARED_AMQP_URL, uniqueNames } from './support/broker.js';
import { removeTopology } from './support/demo-app.js';
import { type ProbeApp, startProbeApp } from './support/probe-app.js';
import { queueArgumentsOnBroker } from './support/queue-arguments.js';
import { waitFor } from './support/wait-for.js';

const RETRY_DELAY = 200;

interface Seen {
  n: number;
  retry: number;
  properties: MessageProperties;
}

/** Handlers hold their first delivery until the test opens their gate, so later messages stay queued. */
@Injectable()
class Gates {
  readonly seen = new Map<string, Seen[]>();
  private readonly opened = new Map<string, () => void>();
  private readonly gates = new Map<string, Promise<void>>();

  async pass(handler: string, n: number, context: RabbitContext): Promise<void> {
    const list = this.seen.get(handler) ?? [];
    list.push({ n, retry: context.getRetryCount(), properties: context.getMessage().properties });
    this.seen.set(handler, list);
    await this.gate(handler);
  }

  of(handler: string): Seen[] {
    return this.seen.get(handler) ?? [];
  }

  open(handler: string): void {
    void this.gate(handler);
    this.opened.get(handler)?.();
  }

  private gate(handler: string): Promise<void> {
    let gate = this.gates.get(handler);
    if (!gate) {
      gate = new Promise<void>((resolve) => this.opened.set(handler, resolve));
      this.gates.set(handler, gate);
    }
    return gate;
  }
}

@Controller()
class OptionHandlers {
  constructor(private readonly gates: Gates) {}

  @HandleEvent('opt.capped', { prefetch: 1, queueArguments: { maxLength: 2, overflow: 'reject-publish' } })
  capped(@Payload() body: { n: number }, @Ctx() context: RabbitContext): Promise<void> {
    return this.gates.pass('capped', body.n, context);
  }

  @HandleEvent('opt.dropped', { prefetch: 1, queueArguments: { maxLength: 2, overflow: 'drop-head' } })
  dropped(@Payload() body: { n: number }, @Ctx() context: RabbitContext): Promise<void> {
    return this.gates.pass('dropped', body.n, context);
  }

  @HandleEvent('opt.ttl', { prefetch: 1, queueArguments: { messageTtlMs: 300 } })
  ttl(@Payload() body: { n: number }, @Ctx() context: RabbitContext): Promise<void> {
    return this.gates.pass('ttl', body.n, context);
  }

  @HandleEvent('opt.priority', { prefetch: 1, queueType: 'classic', queueArguments: { maxPriority: 10 } })
  priority(@Payload() body: { n: number }, @Ctx() context: RabbitContext): Promise<void> {
    return this.gates.pass('priority', body.n, context);
  }

  @HandleEvent('opt.expiring', { prefetch: 1 })
  expiring(@Payload() body: { n: number }, @Ctx() context: RabbitContext): Promise<void> {
    return this.gates.pass('expiring', body.n, context);
  }

  @HandleEvent('opt.carried')
  @Retry({ attempts: 1, delaysMs: [RETRY_DELAY] })
  carried(@Payload() body: { n: number }, @Ctx() context: RabbitContext): void {
    const list = this.gates.seen.get('carried') ?? [];
    list.push({ n: body.n, retry: context.getRetryCount(), properties: context.getMessage().properties });
    this.gates.seen.set('carried', list);
    throw new Error('downstream refuses it');
  }
}

describe('queue and message options on the real broker', () => {
  let probeApp: ProbeApp;
  let broker: BrokerProbe;
  let gates: Gates;
  let client: RabbitClient;
  const queueOf = (method: string) => `${probeApp.serviceName}.option.${method}`;

  beforeAll(async () => {
    probeApp = await startProbeApp('qopts', [OptionHandlers], { consume: { killSwitch: { enabled: false } } }, [Gates]);
    gates = probeApp.app.get(Gates);
    client = probeApp.app.get(RabbitClient);
    broker = await BrokerProbe.open();
  });

  afterAll(async () => {
    for (const handler of ['capped', 'dropped', 'ttl', 'priority', 'expiring']) {
      gates?.open(handler);
    }
    await broker?.close();
    if (probeApp) {
      const retryQueue = retryQueueName(queueOf('carried'), RETRY_DELAY);
      await probeApp.dispose();
      const cleanup = await BrokerProbe.open();
      await cleanup.remove({ queues: [retryQueue] });
      await cleanup.close();
    }
  });

  /** Publishes #0, waits until the handler holds it: later publishes stay in the queue. */
  async function holdFirst(handler: string, pattern: string): Promise<void> {
    await client.publish(pattern, { n: 0 });
    await waitFor(`${handler} holding its first delivery`, () => gates.of(handler).length === 1, { timeoutMs: 10_000 });
  }

  it('declares the arguments on the handler queues', async () => {
    expect(await queueArgumentsOnBroker(queueOf('capped'))).toMatchObject({ 'x-max-length': 2, 'x-overflow': 'reject-publish' });
    expect(await queueArgumentsOnBroker(queueOf('dropped'))).toMatchObject({ 'x-max-length': 2, 'x-overflow': 'drop-head' });
    expect(await queueArgumentsOnBroker(queueOf('ttl'))).toMatchObject({ 'x-message-ttl': 300, 'x-queue-type': 'quorum' });
    expect(await queueArgumentsOnBroker(queueOf('priority'))).toMatchObject({ 'x-max-priority': 10, 'x-queue-type': 'classic' });
  });

  it('maxLength + reject-publish: a publish to the full queue is refused (nothing dropped), the queued ones are handled', async () => {
    await holdFirst('capped', 'opt.capped');
    // A quorum queue notices it is full after the enqueue that fills it: a publish or two may
    // still be taken; none after it says so.
    const accepted = [0];
    let refusal: unknown;
    for (let n = 1; n <= 10 && refusal === undefined; n++) {
      try {
        await client.publish('opt.capped', { n });
        accepted.push(n);
      } catch (error) {
        refusal = error;
      }
    }
    expect(refusal).toBeInstanceOf(PublishRejectedError);
    expect(accepted.length).toBeGreaterThanOrEqual(3);
    expect(accepted.length).toBeLessThanOrEqual(5);
    gates.open('capped');
    // Every accepted publish is handled: the bound refused, it never dropped.
    await waitFor('the accepted ones handled', () => gates.of('capped').length === accepted.length);
    expect(gates.of('capped').map((s) => s.n)).toEqual(accepted);
    expect(await broker.ready(deadLetterQueueName(queueOf('capped')))).toBe(0);
  }, 30_000);

  it('maxLength + drop-head: the oldest waiting message goes to the DLQ, not into the void', async () => {
    await holdFirst('dropped', 'opt.dropped');
    for (const n of [1, 2, 3]) {
      await client.publish('opt.dropped', { n });
    }
    const parked = await waitFor('the dropped head in the DLQ', () => broker.take(deadLetterQueueName(queueOf('dropped'))));
    expect(JSON.parse(parked.content.toString())).toEqual({ n: 1 });
    expect(parked.properties.headers).toMatchObject({ 'x-first-death-reason': 'maxlen' });
    gates.open('dropped');
    await waitFor('the rest handled', () => gates.of('dropped').length === 3);
    expect(gates.of('dropped').map((s) => s.n)).toEqual([0, 2, 3]);
  }, 30_000);

  it('messageTtlMs: messages waiting longer go to the DLQ as expired', async () => {
    await holdFirst('ttl', 'opt.ttl');
    await client.publish('opt.ttl', { n: 1 });
    await client.publish('opt.ttl', { n: 2 });
    const dlq = deadLetterQueueName(queueOf('ttl'));
    await waitFor('both expired into the DLQ', async () => (await broker.ready(dlq)) === 2, { timeoutMs: 10_000 });
    const first = await broker.take(dlq);
    expect(first?.properties.headers).toMatchObject({ 'x-first-death-reason': 'expired' });
    gates.open('ttl');
    expect(gates.of('ttl').map((s) => s.n)).toEqual([0]);
    expect(await broker.ready(queueOf('ttl'))).toBe(0);
  }, 30_000);

  it('maxPriority + publish priority: the higher priority is delivered first', async () => {
    await holdFirst('priority', 'opt.priority');
    await client.publish('opt.priority', { n: 1 }, { priority: 1 });
    await client.publish('opt.priority', { n: 5 }, { priority: 5 });
    await client.publish('opt.priority', { n: 9 }, { priority: 9 });
    gates.open('priority');
    await waitFor('all handled', () => gates.of('priority').length === 4);
    expect(gates.of('priority').map((s) => s.n)).toEqual([0, 9, 5, 1]);
    expect(gates.of('priority').map((s) => s.properties.priority)).toEqual([undefined, 9, 5, 1]);
  }, 30_000);

  it('publish expiration: a message not consumed within it goes to the DLQ as expired; one within it is delivered', async () => {
    await holdFirst('expiring', 'opt.expiring');
    await client.publish('opt.expiring', { n: 1 }, { expiration: 200 });
    await client.publish('opt.expiring', { n: 2 }, { expiration: 60_000 });
    const parked = await waitFor('the expired one in the DLQ', () => broker.take(deadLetterQueueName(queueOf('expiring'))), { timeoutMs: 10_000 });
    expect(JSON.parse(parked.content.toString())).toEqual({ n: 1 });
    expect(parked.properties.headers).toMatchObject({ 'x-first-death-reason': 'expired' });
    gates.open('expiring');
    await waitFor('the other handled', () => gates.of('expiring').length === 2);
    expect(gates.of('expiring')[1]).toMatchObject({ n: 2, properties: { expiration: '60000' } });
  }, 30_000);

  it('priority and custom headers are carried onto the retry and DLQ copies; expiration is not (a started message never expires)', async () => {
    await client.publish('opt.carried', { n: 7 }, { priority: 4, expiration: 60_000, headers: { 'x-tenant': 'acme' }, messageId: 'carried-7' });
    const parked = await waitFor('the copy in the DLQ', () => broker.take(deadLetterQueueName(queueOf('carried'))), { timeoutMs: 15_000 });
    const [first, retried] = gates.of('carried');
    expect(first).toMatchObject({ retry: 0, properties: { priority: 4, expiration: '60000', headers: { 'x-tenant': 'acme' } } });
    expect(retried).toMatchObject({ retry: 1, properties: { priority: 4, messageId: 'carried-7', headers: { 'x-tenant': 'acme' } } });
    expect(retried.properties.expiration).toBeUndefined();
    expect(parked.properties).toMatchObject({ priority: 4, messageId: 'carried-7', headers: { 'x-tenant': 'acme', 'x-retry-count': 1 } });
    expect(parked.properties.expiration).toBeUndefined();
  }, 30_000);
});

const CONFLICT_QUEUE = `t-qarg-conflict-${randomUUID().slice(0, 8)}`;

@Controller()
class BoundedBefore {
  @HandleEvent('conflict.event', { queue: CONFLICT_QUEUE, queueArguments: { maxLength: 5 } })
  handle(): void {}
}

@Controller()
class BoundedAfter {
  @HandleEvent('conflict.event', { queue: CONFLICT_QUEUE, queueArguments: { maxLength: 10 } })
  handle(): void {}
}

describe('a changed queue argument on an existing handler queue', () => {
  it('is one clear topology conflict naming the argument, with backoff (no reconnect storm)', async () => {
    const before = await startProbeApp('qarg-before', [BoundedBefore]);
    await before.app.close(); // the queue stays, with x-max-length 5
    const names = uniqueNames('qarg-after');
    const moduleRef = await Test.createTestingModule({
      imports: [RabbitMQModule.forRoot({ urls: [SHARED_AMQP_URL], ...names, connection: { reconnectBaseMs: 100, reconnectMaxMs: 2_000 } })],
      controllers: [BoundedAfter],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    app.connectMicroservice({ strategy: app.get(RabbitServer) }, { inheritAppConfig: true });
    try {
      await app.startAllMicroservices();
      await app.init();
      const connections = app.get(RabbitConnections);
      const conflict = await waitFor('the conflict reported', () => connections.topologyConflict('consumer'), { timeoutMs: 15_000 });
      expect(conflict.conflict).toMatchObject({ kind: 'queue', name: CONFLICT_QUEUE, argument: 'x-max-length' });
      expect(conflict.message).toContain(`rabbitmqctl delete_queue ${CONFLICT_QUEUE}`);
      const startedAt = Date.now();
      const reconnectsBefore = connections.state('consumer').reconnects;
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      const reconnects = connections.state('consumer').reconnects - reconnectsBefore;
      // Backoff with full jitter up to 2 s: about one attempt a second; without it, one every 100 ms.
      expect(reconnects).toBeLessThanOrEqual(2 * Math.ceil((Date.now() - startedAt) / 1_000) + 2);
      expect(connections.state('consumer').topologyConflict).toContain(`topology conflict on queue '${CONFLICT_QUEUE}'`);
      // The queue kept its arguments: warren never deletes or redeclares it by itself.
      expect(await queueArgumentsOnBroker(CONFLICT_QUEUE)).toMatchObject({ 'x-max-length': 5 });
    } finally {
      await app.close();
      await removeTopology(names.exchange, [CONFLICT_QUEUE]);
      await removeTopology(before.exchange, []);
    }
  }, 60_000);
});
